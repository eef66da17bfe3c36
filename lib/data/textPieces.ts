/**
 * Reads a text file as UTF-8 in pieces of whole lines, so files larger than the longest JavaScript string
 * (about 512 MiB) can be read, and the event loop gets a turn between pieces. A piece is cut at a newline
 * byte (0x0A never occurs inside a multi-byte UTF-8 character), so no character is ever split.
 *
 * Bytes that are not valid UTF-8 become U+FFFD, as Python's errors="replace" does; they are counted per
 * line so the reader can warn with the file, the lines and the count instead of changing text silently.
 */
import * as fs from 'fs';

export interface TextPiece {
  text: string;
  /** The 1-based line on which the piece starts. */
  firstLine: number;
}

export interface InvalidUtf8 {
  /** Invalid byte sequences replaced by U+FFFD. */
  count: number;
  /** Lines holding them (every one; the warning shows the first few). */
  lines: number[];
}

const PIECE_BYTES = 1 << 20;
/** A line this long cannot become one JavaScript string (V8's limit is 2^29 - 24 UTF-16 units). */
export const MAX_STRING_LENGTH = 0x1fffffe8;

const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const lenient = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/** Yields the file's text in pieces of whole lines (the first piece without its byte-order mark). */
export async function* readTextPieces(file: string, invalid: InvalidUtf8, pieceBytes = PIECE_BYTES): AsyncGenerator<TextPiece> {
  const stream = fs.createReadStream(file, { highWaterMark: pieceBytes });
  let carried: Buffer[] = [];
  let carriedBytes = 0;
  let line = 1;
  let first = true;
  const emit = (bytes: Buffer): TextPiece => {
    if (first && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) bytes = bytes.subarray(3);
    first = false;
    const piece = { text: decode(bytes, line, invalid), firstLine: line };
    line += countNewlines(bytes);
    return piece;
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const lastNewline = chunk.lastIndexOf(0x0a);
      if (lastNewline < 0) {
        carried.push(chunk);
        carriedBytes += chunk.length;
        if (carriedBytes > MAX_STRING_LENGTH) throw new Error(`${file} line ${line}: a line longer than ${MAX_STRING_LENGTH} bytes cannot be read as text`);
        continue;
      }
      const head = chunk.subarray(0, lastNewline + 1);
      const bytes = carried.length > 0 ? Buffer.concat([...carried, head]) : head;
      carried = [chunk.subarray(lastNewline + 1)];
      carriedBytes = carried[0].length;
      yield emit(bytes);
    }
  } catch (e) {
    stream.destroy();
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EISDIR') throw new Error(`${file} is a folder, not a data file`);
    if (err.code === 'EACCES') throw new Error(`${file}: permission denied`);
    throw e;
  }
  const rest = Buffer.concat(carried);
  if (rest.length > 0 || first) yield emit(rest);
}

/** Strict decoding first (the common, fast case); on failure, line by line to count what was replaced. */
function decode(bytes: Buffer, firstLine: number, invalid: InvalidUtf8): string {
  try {
    return strict.decode(bytes);
  } catch {
    const parts: string[] = [];
    let start = 0;
    let line = firstLine;
    while (start <= bytes.length) {
      const nl = bytes.indexOf(0x0a, start);
      const end = nl < 0 ? bytes.length : nl + 1;
      const lineBytes = bytes.subarray(start, end);
      let text: string;
      try {
        text = strict.decode(lineBytes);
      } catch {
        text = lenient.decode(lineBytes);
        invalid.count += countReplacements(text) - countEncodedReplacements(lineBytes);
        invalid.lines.push(line);
      }
      parts.push(text);
      if (nl < 0) break;
      start = end;
      line++;
    }
    return parts.join('');
  }
}

/** U+FFFD in the decoded text. */
function countReplacements(text: string): number {
  let n = 0;
  for (let k = text.indexOf('\ufffd'); k >= 0; k = text.indexOf('\ufffd', k + 1)) n++;
  return n;
}

/** U+FFFD that was in the file as such (EF BF BD), not made by decoding. */
function countEncodedReplacements(bytes: Buffer): number {
  let n = 0;
  const needle = Buffer.from([0xef, 0xbf, 0xbd]);
  for (let k = bytes.indexOf(needle); k >= 0; k = bytes.indexOf(needle, k + 3)) n++;
  return n;
}

function countNewlines(bytes: Buffer): number {
  let n = 0;
  for (let k = bytes.indexOf(0x0a); k >= 0; k = bytes.indexOf(0x0a, k + 1)) n++;
  return n;
}

/** The warning for a file with invalid UTF-8, or null when it had none. */
export function invalidUtf8Warning(file: string, invalid: InvalidUtf8): string | null {
  if (invalid.lines.length === 0) return null;
  const shown = invalid.lines.slice(0, 5).join(', ');
  const more = invalid.lines.length > 5 ? `, ... (${invalid.lines.length} lines in all)` : '';
  const count = Math.max(invalid.count, invalid.lines.length);
  return `${file}: ${count} invalid UTF-8 byte sequence${count === 1 ? '' : 's'} replaced by U+FFFD on line${invalid.lines.length === 1 ? '' : 's'} ${shown}${more}; the text there is not what was written (is the file in another encoding, such as Latin-1 or cp1252?)`;
}
