/** Reads a little-endian float32 .npy matrix written by numpy.save (what the reference scripts write). */
import * as fs from 'fs';

export function readNpy(file: string): { data: Float32Array; rows: number; cols: number } {
  const buf = fs.readFileSync(file);
  if (buf.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${file} is not a .npy file`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + headerLen);
  if (!header.includes("'<f4'")) throw new Error(`${file}: expected float32 data, header ${header}`);
  const shape = /'shape': \((\d+), (\d+)\)/.exec(header);
  if (!shape) throw new Error(`${file}: expected a 2-D array, header ${header}`);
  const rows = Number(shape[1]);
  const cols = Number(shape[2]);
  const bytes = buf.subarray(start + headerLen);
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + rows * cols * 4));
  return { data, rows, cols };
}

/** Cosine similarity of row i of a and b (both rows x cols). */
export function rowCosines(a: Float32Array, b: Float32Array, rows: number, cols: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < rows; i++) {
    let dot = 0, na = 0, nb = 0;
    for (let k = 0; k < cols; k++) {
      const x = a[i * cols + k], y = b[i * cols + k];
      dot += x * y; na += x * x; nb += y * y;
    }
    out.push(dot / Math.sqrt(na * nb));
  }
  return out;
}
