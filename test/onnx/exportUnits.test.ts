/**
 * Model-free parts of the ONNX export: the safetensors reader (F16 and BF16 widened exactly as the engine
 * loads them, a file whose offsets overrun refused by name) and the refusal of a model past protobuf's 2 GB.
 */
import * as fs from 'fs';
import * as path from 'path';
import { GraphBuilder } from '../../lib/onnx/GraphBuilder';
import { readSafetensors } from '../../lib/onnx/readSafetensors';
import { tmpDir } from '../helpers/requirements';

function safetensors(file: string, entries: Record<string, { dtype: string; shape: number[]; bytes: Buffer }>, claimExtra = 0): void {
  let offset = 0;
  const header: Record<string, unknown> = { __metadata__: { format: 'pt' } };
  for (const [name, e] of Object.entries(entries)) {
    header[name] = { dtype: e.dtype, shape: e.shape, data_offsets: [offset, offset + e.bytes.length + claimExtra] };
    offset += e.bytes.length;
  }
  const json = Buffer.from(JSON.stringify(header));
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  fs.writeFileSync(file, Buffer.concat([length, json, ...Object.values(entries).map((e) => e.bytes)]));
}

describe('ONNX export units', () => {
  const work = tmpDir('onnx-units');
  afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

  test('F32, F16 and BF16 tensors come back as the same fp32 values', () => {
    const values = [0, 1, -2.5, 0.099975586, 65504, -6.1035156e-5, 5.9604645e-8];  // all exact in fp16
    const f32 = Buffer.from(Float32Array.from(values).buffer);
    const f16 = Buffer.alloc(2 * values.length);
    [0x0000, 0x3c00, 0xc100, 0x2e66, 0x7bff, 0x8400, 0x0001].forEach((bits, i) => f16.writeUInt16LE(bits, 2 * i));
    const bf16 = Buffer.alloc(2 * values.length);
    Float32Array.from([1, -2.5, 3.140625]).forEach((v, i) => bf16.writeUInt16LE(Buffer.from(Float32Array.of(v).buffer).readUInt16LE(2), 2 * i));
    const file = path.join(work, 'dtypes.safetensors');
    safetensors(file, { a: { dtype: 'F32', shape: [7], bytes: f32 }, b: { dtype: 'F16', shape: [7], bytes: f16 }, c: { dtype: 'BF16', shape: [3], bytes: bf16.subarray(0, 6) } });
    const t = readSafetensors(file);
    expect(Array.from(t.get('a')!.data)).toEqual(Array.from(Float32Array.from(values)));
    expect(Array.from(t.get('b')!.data)).toEqual(Array.from(Float32Array.from(values)));
    expect(Array.from(t.get('c')!.data)).toEqual([1, -2.5, 3.140625]);
  });

  test('a tensor whose data_offsets overrun its shape or the file is refused by name', () => {
    const file = path.join(work, 'bad.safetensors');
    safetensors(file, { 'encoder.w': { dtype: 'F32', shape: [2], bytes: Buffer.alloc(8) } }, 4);
    expect(() => readSafetensors(file)).toThrow(`${file}: tensor encoder.w (F32 [2]) has data_offsets [0, 12]`);
    fs.writeFileSync(file, Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]));
    expect(() => readSafetensors(file)).toThrow(`${file}: the header claims 1 bytes but the file holds 0`);
  });

  test('weights past 2 GiB are refused with the reason, not written as a corrupt file', () => {
    const g = new GraphBuilder();
    const block = { shape: [1 << 27], data: new Float32Array(1 << 27) };  // 512 MiB, shared by every initializer
    for (let i = 0; i < 4; i++) g.weight(`w${i}`, block);
    expect(() => g.encode('big', '0')).toThrow('the weights take 2.00 GiB, beyond the 2 GiB a single model.onnx can hold');
  });
});
