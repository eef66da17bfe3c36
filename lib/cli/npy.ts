/** Writes a float32 matrix as a NumPy .npy file (format 1.0), which numpy.load reads directly. */
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

export function writeNpy(file: string, data: Float32Array, rows: number, cols: number): void {
  fs.writeFileSync(file, encodeNpy(data, rows, cols));
}
