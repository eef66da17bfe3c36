/** A small safetensors reader/writer for the tests (F32, I64, U8), independent of the engine's C++ one. */
import * as fs from 'fs';

export interface StTensor {
  dtype: 'F32' | 'I64' | 'U8';
  shape: number[];
  data: Float32Array | BigInt64Array | Uint8Array;
}

export function readSafetensors(file: string): Record<string, StTensor> {
  const buf = fs.readFileSync(file);
  const headerLen = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + headerLen).toString('utf8')) as Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  const base = 8 + headerLen;
  const out: Record<string, StTensor> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [begin, end] = entry.data_offsets;
    const bytes = Uint8Array.prototype.slice.call(buf, base + begin, base + end);
    const ab = bytes.buffer;
    if (entry.dtype === 'F32') out[name] = { dtype: 'F32', shape: entry.shape, data: new Float32Array(ab) };
    else if (entry.dtype === 'I64') out[name] = { dtype: 'I64', shape: entry.shape, data: new BigInt64Array(ab) };
    else if (entry.dtype === 'U8') out[name] = { dtype: 'U8', shape: entry.shape, data: new Uint8Array(ab) };
    else throw new Error(`test reader: unsupported dtype ${entry.dtype} for ${name} in ${file}`);
  }
  return out;
}

export function writeSafetensors(file: string, tensors: Record<string, { shape: number[]; data: Float32Array }>): void {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  let offset = 0;
  for (const name of names) {
    const bytes = tensors[name].data.byteLength;
    header[name] = { dtype: 'F32', shape: tensors[name].shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8 !== 0) json += ' ';
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(Buffer.byteLength(json)));
  const parts = [len, Buffer.from(json, 'utf8'), ...names.map((n) => Buffer.from(tensors[n].data.buffer, tensors[n].data.byteOffset, tensors[n].data.byteLength))];
  fs.writeFileSync(file, Buffer.concat(parts));
}
