/** Byte-level safetensors surgery for the validation tests and the fuzzer: split a file, rebuild it with any header. */
import * as fs from 'fs';

export interface HeaderEntry { dtype: string; shape: number[]; data_offsets: [number, number] }
export type Header = Record<string, HeaderEntry | Record<string, string>>;

export interface RawSafetensors { header: Header; data: Buffer }

export function splitSafetensors(file: string): RawSafetensors {
  const buf = fs.readFileSync(file);
  const n = Number(buf.readBigUInt64LE(0));
  return { header: JSON.parse(buf.toString('utf8', 8, 8 + n)) as Header, data: buf.subarray(8 + n) };
}

/** The bytes of a file with this header text (unpadded, length prefix exact) followed by data. */
export function joinSafetensors(headerText: string | Buffer, data: Buffer): Buffer {
  const h = typeof headerText === 'string' ? Buffer.from(headerText, 'utf8') : headerText;
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(h.length));
  return Buffer.concat([len, h, data]);
}

export function tensorEntries(header: Header): [string, HeaderEntry][] {
  return Object.entries(header).filter(([k]) => k !== '__metadata__') as [string, HeaderEntry][];
}
