/**
 * The tensors of a .safetensors file as fp32 (F16 and BF16 widened, as the engine loads them), for the ONNX
 * export. The header is checked against the file's size, so a truncated or corrupt file gives an error naming
 * the file and the tensor instead of garbage weights.
 */
import * as fs from 'fs';

export interface Fp32Tensor {
  shape: number[];
  data: Float32Array;
}

function widenHalf(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

function toFp32(bytes: Uint8Array, dtype: string, count: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  if (dtype === 'F32') for (let i = 0; i < count; i++) out[i] = view.getFloat32(4 * i, true);
  else if (dtype === 'F16') for (let i = 0; i < count; i++) out[i] = widenHalf(view.getUint16(2 * i, true));
  else if (dtype === 'BF16') {
    const word = new Uint32Array(out.buffer);
    for (let i = 0; i < count; i++) word[i] = view.getUint16(2 * i, true) << 16;
  }
  return out;
}

const BYTES: Record<string, number> = { F32: 4, F16: 2, BF16: 2 };

/** Every floating-point tensor of the file by name; integer tensors are left out (no architecture reads one). */
export function readSafetensors(file: string): Map<string, Fp32Tensor> {
  const buffer = fs.readFileSync(file);
  if (buffer.length < 8) throw new Error(`${file}: not a safetensors file (${buffer.length} bytes)`);
  const headerLength = Number(buffer.readBigUInt64LE(0));
  if (headerLength > buffer.length - 8) throw new Error(`${file}: the header claims ${headerLength} bytes but the file holds ${buffer.length - 8} after its length`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] }>;
  try {
    header = JSON.parse(buffer.subarray(8, 8 + headerLength).toString('utf8'));
  } catch (e) {
    throw new Error(`${file}: the safetensors header is not valid JSON (${(e as Error).message})`);
  }
  const dataStart = 8 + headerLength;
  const tensors = new Map<string, Fp32Tensor>();
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const size = BYTES[entry.dtype];
    if (size === undefined) continue;
    const count = entry.shape.reduce((a, b) => a * b, 1);
    const [begin, end] = entry.data_offsets;
    if (!(Number.isInteger(begin) && Number.isInteger(end) && begin >= 0 && end - begin === count * size && dataStart + end <= buffer.length)) {
      throw new Error(`${file}: tensor ${name} (${entry.dtype} [${entry.shape.join(', ')}]) has data_offsets [${begin}, ${end}], which do not fit its shape or the file`);
    }
    tensors.set(name, { shape: entry.shape, data: toFp32(buffer.subarray(dataStart + begin, dataStart + end), entry.dtype, count) });
  }
  return tensors;
}
