/** NumPy .npy files of float32 matrices (format 1.0): embeddings out of `encode`, references in. */
import * as fs from 'fs';

export function encodeNpy(data: Float32Array, rows: number, cols: number): Buffer {
  if (data.length !== rows * cols) throw new Error(`npy: ${data.length} values do not make a ${rows}x${cols} matrix`);
  let header = `{'descr': '<f4', 'fortran_order': False, 'shape': (${rows}, ${cols}), }`;
  // Magic (6) + version (2) + header length (2) + header must be a multiple of 64, ending in '\n'.
  const total = Math.ceil((10 + header.length + 1) / 64) * 64;
  header = header.padEnd(total - 10 - 1, ' ') + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1;
  head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  const body = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return Buffer.concat([head, Buffer.from(header, 'latin1'), body]);
}

/** Reads a little-endian float32 2-D .npy (what numpy.save writes for a float32 matrix). */
export function decodeNpy(buf: Buffer, source = '.npy'): { data: Float32Array; rows: number; cols: number } {
  if (buf.toString('latin1', 1, 6) !== 'NUMPY') throw new Error(`${source} is not a .npy file`);
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + headerLen);
  if (!header.includes("'<f4'")) throw new Error(`${source}: expected float32 data, header ${header}`);
  const shape = /'shape': \((\d+), (\d+)\)/.exec(header);
  if (!shape) throw new Error(`${source}: expected a 2-D array, header ${header}`);
  const rows = Number(shape[1]);
  const cols = Number(shape[2]);
  const bytes = buf.subarray(start + headerLen, start + headerLen + rows * cols * 4);
  return { data: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)), rows, cols };
}

export function readNpy(file: string): { data: Float32Array; rows: number; cols: number } {
  return decodeNpy(fs.readFileSync(file), file);
}

/** Cosine similarity of row i of a and b (both rows x cols). */
export function rowCosines(a: Float32Array, b: Float32Array, rows: number, cols: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < rows; i++) {
    let dot = 0;
    let na = 0;
    let nb = 0;
    for (let k = 0; k < cols; k++) {
      const x = a[i * cols + k];
      const y = b[i * cols + k];
      dot += x * y;
      na += x * x;
      nb += y * y;
    }
    out.push(dot / Math.sqrt(na * nb));
  }
  return out;
}
