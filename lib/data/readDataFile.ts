/**
 * Readers for the files users keep training data in: JSON (an array of records, an object of columns, or
 * JSON lines under a .json name, as `datasets.Dataset.to_json` writes), JSON lines, CSV/TSV and Parquet.
 * Each returns a column table plus, where the format has lines, the line each row came from, so every
 * later error can point into the file.
 */
import * as fs from 'fs';
import * as path from 'path';
import { pathToFileURL } from 'url';
import { Worker } from 'worker_threads';
import { CsvParser } from './csv';
import { invalidUtf8Warning, MAX_STRING_LENGTH, readTextPieces, type InvalidUtf8, type TextPiece } from './textPieces';

export type DataFormat = 'json' | 'jsonl' | 'csv' | 'tsv' | 'parquet';

export interface LoadOptions {
  /** Overrides the format the file extension implies. */
  format?: DataFormat;
  /** JSON: the records sit under this top-level key (as `load_dataset("json", field=...)`). */
  field?: string;
  /** CSV/TSV: the field delimiter (default "," for csv, "\t" for tsv). */
  delimiter?: string;
  /** CSV/TSV: the quote character (default '"'); null when fields are never quoted. */
  quote?: string | null;
  /** CSV/TSV: names for a file without a header row; the first row is then data. */
  columnNames?: string[];
  /** CSV/TSV: keep every value a string instead of turning all-numeric columns into numbers (as pandas does). */
  keepStrings?: boolean;
  /** Receives warnings (invalid UTF-8 replaced by U+FFFD); default: a line on stderr. */
  onWarning?: (message: string) => void;
}

export interface RawTable {
  names: string[];
  columns: unknown[][];
  /** The 1-based line of each row in line-based formats, else null. */
  lines: Int32Array | null;
}

const EXTENSIONS: Record<string, DataFormat> = {
  '.json': 'json', '.jsonl': 'jsonl', '.ndjson': 'jsonl', '.csv': 'csv', '.tsv': 'tsv', '.parquet': 'parquet',
};

export function formatOf(file: string, options: LoadOptions): DataFormat {
  if (options.format) return options.format;
  const ext = path.extname(file).toLowerCase();
  const format = EXTENSIONS[ext];
  if (!format) {
    throw new Error(`${file}: cannot tell the data format from the extension "${ext}"; use one of ${Object.keys(EXTENSIONS).join(', ')} or pass format`);
  }
  return format;
}

/** Limits the readers apply (tests lower them to exercise the paths for very large files). */
export const readerLimits = {
  /** A .json file holding one document larger than this cannot be parsed: one string holds at most this many characters. */
  jsonDocumentBytes: MAX_STRING_LENGTH,
  /** Bytes read at a time; the event loop gets a turn between pieces. */
  pieceBytes: 1 << 20,
};

export async function readDataFile(file: string, options: LoadOptions = {}): Promise<RawTable> {
  const format = formatOf(file, options);
  if (!fs.existsSync(file)) throw new Error(`${file}: no such file`);
  if (fs.statSync(file).isDirectory()) throw new Error(`${file} is a folder, not a data file`);
  if (format === 'parquet') return readParquet(file);
  const invalid: InvalidUtf8 = { count: 0, lines: [] };
  const pieces = readTextPieces(file, invalid, readerLimits.pieceBytes);
  let table: RawTable;
  if (format === 'json') table = await readJson(pieces, file, options.field);
  else if (format === 'jsonl') table = await readJsonLines(pieces, file);
  else table = await readDelimited(pieces, file, format, options);
  const warning = invalidUtf8Warning(file, invalid);
  if (warning !== null) (options.onWarning ?? warnOnStderr)(warning);
  return table;
}

function warnOnStderr(message: string): void {
  process.stderr.write(`embedforge: warning: ${message}\n`);
}

/**
 * Columns built one record at a time (so a streamed file never holds its records twice); every record
 * must have the same keys as the first.
 */
class RecordColumns {
  private names: string[] | null = null;
  private index = new Map<string, number>();
  private columns: unknown[][] = [];
  private lineNumbers: number[] = [];

  constructor(private readonly source: string) {}

  get size(): number {
    return this.lineNumbers.length;
  }

  add(value: unknown, where: string, line: number): void {
    const record = asRecord(value, this.source, where);
    if (this.names === null) {
      this.names = Object.keys(record);
      if (this.names.length === 0) throw new Error(`${this.source} ${where}: the record has no fields`);
      this.index = new Map(this.names.map((n, k) => [n, k]));
      this.columns = this.names.map(() => []);
    }
    const names = this.names;
    const row = this.lineNumbers.length;
    let seen = 0;
    for (const key in record) {
      const k = this.index.get(key);
      if (k === undefined) {
        throw new Error(`${this.source} ${where}: column '${shown(key)}' is not in the first record (which has ${shownList(names)})`);
      }
      this.columns[k][row] = record[key];
      seen++;
    }
    if (seen !== names.length) {
      const absent = names.filter((n) => !(n in record));
      throw new Error(`${this.source} ${where}: missing column${absent.length > 1 ? 's' : ''} ${absent.map((n) => `'${shown(n)}'`).join(', ')} (the first record has ${shownList(names)})`);
    }
    this.lineNumbers.push(line);
  }

  table(withLines: boolean): RawTable {
    if (this.names === null) throw new Error(`${this.source} holds no records`);
    return { names: this.names, columns: this.columns, lines: withLines ? Int32Array.from(this.lineNumbers) : null };
  }
}

/** Records (objects) to columns; every record must have the same keys as the first. */
export function recordsToTable(records: unknown[], source: string, where: (i: number) => string, lines: Int32Array | null): RawTable {
  const columns = new RecordColumns(source);
  for (let i = 0; i < records.length; i++) columns.add(records[i], where(i), lines ? lines[i] : 0);
  return columns.table(lines !== null);
}

/** A name as shown in a message: a pathological (say 200 kB) column name is cut. */
function shown(name: string): string {
  return name.length > 60 ? `${name.slice(0, 60)}... (${name.length} characters)` : name;
}

const shownList = (names: readonly string[]): string => {
  const list = names.slice(0, 20).map(shown).join(', ');
  return names.length > 20 ? `${list}, ... (${names.length} columns)` : list;
};

function asRecord(value: unknown, source: string, where: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
    throw new Error(`${source} ${where}: expected a record (a JSON object), got ${kind}`);
  }
  return value as Record<string, unknown>;
}

function tooLargeForOneDocument(file: string, size: number): Error {
  const mib = (size / 2 ** 20).toFixed(0);
  return new Error(`${file} is ${mib} MiB of JSON in one document (an array or an object), too large to parse at once: `
    + `JavaScript holds at most ${(readerLimits.jsonDocumentBytes / 2 ** 20).toFixed(0)} MiB of text in one string. `
    + 'Convert it to JSON lines (one record per line, e.g. `jq -c \'.[]\' data.json > data.jsonl`, or in Python '
    + '`datasets.Dataset.from_json(...).to_json("data.jsonl")`), which embedforge reads line by line at any size');
}

async function readJson(pieces: AsyncGenerator<TextPiece>, file: string, field: string | undefined): Promise<RawTable> {
  const size = fs.statSync(file).size;
  if (size > readerLimits.jsonDocumentBytes) {
    // JSON lines under a .json name (what `Dataset.to_json` writes) stream at any size; one document cannot.
    if (field !== undefined || firstNonBlankByte(file) !== 0x7b) throw tooLargeForOneDocument(file, size);
    return readJsonLines(pieces, file, () => tooLargeForOneDocument(file, size));
  }
  const parts: string[] = [];
  for await (const piece of pieces) parts.push(piece.text);
  const text = parts.join('');
  if (text.trim() === '') throw new Error(`${file} is empty`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (wholeError) {
    // Not one JSON document: JSON lines under a .json name (what `Dataset.to_json` writes by default).
    if (field === undefined && /^\s*\{/.test(text)) return readJsonLines(oneText(text), file);
    throw new Error(`${file}${lineOfJsonError(text, wholeError as Error)}: not valid JSON: ${(wholeError as Error).message}`);
  }
  if (field !== undefined) {
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || !(field in parsed)) {
      throw new Error(`${file}: no top-level field '${field}'`);
    }
    parsed = (parsed as Record<string, unknown>)[field];
  }
  if (Array.isArray(parsed)) return recordsToTable(parsed, file, (i) => `record ${i}`, null);
  if (parsed !== null && typeof parsed === 'object') {
    const entries = Object.entries(parsed as Record<string, unknown>);
    if (entries.length > 0 && entries.every(([, v]) => Array.isArray(v))) return columnsToTable(entries as [string, unknown[]][], file);
    // One object that is not columns: a JSON-lines file with a single record.
    return recordsToTable([parsed], file, () => 'line 1', Int32Array.of(1));
  }
  throw new Error(`${file}: expected an array of records, an object of columns, or JSON lines; got ${parsed === null ? 'null' : typeof parsed}`);
}

/** The first byte that is not whitespace or a byte-order mark (-1 when the first 64 KiB have none). */
function firstNonBlankByte(file: string): number {
  const head = Buffer.alloc(65536);
  const fd = fs.openSync(file, 'r');
  try {
    const n = fs.readSync(fd, head, 0, head.length, 0);
    for (let k = 0; k < n; k++) {
      const b = head[k];
      if (b === 0x20 || b === 0x09 || b === 0x0a || b === 0x0d) continue;
      if (k === 0 && b === 0xef && head[1] === 0xbb && head[2] === 0xbf) { k += 2; continue; }
      return b;
    }
    return -1;
  } finally {
    fs.closeSync(fd);
  }
}

async function* oneText(text: string): AsyncGenerator<TextPiece> {
  yield { text, firstLine: 1 };
}

/** " line L" for a JSON.parse error that names a character position, else "". */
function lineOfJsonError(text: string, error: Error): string {
  const match = /position (\d+)/.exec(error.message);
  if (!match) return '';
  let line = 1;
  const end = Math.min(Number(match[1]), text.length);
  for (let k = 0; k < end; k++) if (text.charCodeAt(k) === 10) line++;
  return ` line ${line}`;
}

function columnsToTable(entries: [string, unknown[]][], file: string): RawTable {
  const [firstName, firstValues] = entries[0];
  for (const [name, values] of entries) {
    if (values.length !== firstValues.length) {
      throw new Error(`${file}: column '${shown(name)}' has ${values.length} values but column '${shown(firstName)}' has ${firstValues.length}`);
    }
  }
  if (firstValues.length === 0) throw new Error(`${file} holds no records (its columns are empty)`);
  return { names: entries.map(([n]) => n), columns: entries.map(([, v]) => v), lines: null };
}

/** One record per line; `firstLineError` replaces the error of an unparsable first line (a .json file that is not JSON lines). */
async function readJsonLines(pieces: AsyncGenerator<TextPiece>, file: string, firstLineError?: () => Error): Promise<RawTable> {
  const columns = new RecordColumns(file);
  let blank = true;
  try {
    for await (const piece of pieces) {
      const lines = piece.text.split('\n');
      for (let k = 0; k < lines.length; k++) {
        const text = lines[k];
        if (text.trim() === '') continue;
        blank = false;
        const line = piece.firstLine + k;
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch (e) {
          throw new Error(`${file} line ${line}: ${(e as Error).message}`);
        }
        columns.add(value, `line ${line}`, line);
      }
    }
  } catch (e) {
    // A first line that is not a record (or too long to read): one JSON document, not JSON lines.
    if (columns.size === 0 && firstLineError) throw firstLineError();
    throw e;
  }
  if (blank) throw new Error(`${file} is empty`);
  return columns.table(true);
}

async function readDelimited(pieces: AsyncGenerator<TextPiece>, file: string, format: DataFormat, options: LoadOptions): Promise<RawTable> {
  const delimiter = options.delimiter ?? (format === 'tsv' ? '\t' : ',');
  let names: string[] | null = options.columnNames ?? null;
  let columns: unknown[][] = names ? names.map(() => []) : [];
  const lines: number[] = [];
  const header = (fields: string[]): void => {
    const seen = new Set<string>();
    for (const name of fields) {
      if (name === '') throw new Error(`${file}: the header has an empty column name (columns: ${shownList(fields.map((n) => JSON.stringify(n)))})`);
      if (seen.has(name)) throw new Error(`${file}: column '${shown(name)}' appears twice in the header`);
      seen.add(name);
    }
    names = fields;
    columns = fields.map(() => []);
  };
  if (names) header(names);
  let sawText = false;
  const parser = new CsvParser({ delimiter, quote: options.quote === undefined ? '"' : options.quote }, file, (fields, line) => {
    if (names === null) return header(fields);
    if (fields.length !== names.length) {
      throw new Error(`${file} line ${line}: ${fields.length} fields where the header has ${names.length} (${shownList(names)})`);
    }
    for (let k = 0; k < fields.length; k++) columns[k].push(fields[k]);
    lines.push(line);
  });
  for await (const piece of pieces) {
    if (!sawText && piece.text.trim() !== '') sawText = true;
    parser.push(piece.text);
  }
  parser.finish();
  if (!sawText) throw new Error(`${file} is empty`);
  if (names === null) throw new Error(`${file} holds no records`);
  if (lines.length === 0) throw new Error(`${file} holds a header but no rows`);
  if (!options.keepStrings) for (let k = 0; k < columns.length; k++) columns[k] = await numericIfAll(columns[k] as string[]);
  return { names, columns, lines: Int32Array.from(lines) };
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Rows handled between two turns of the event loop in long passes over a column. */
const ROWS_PER_TURN = 100_000;
const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** A column whose every value is a decimal number becomes numbers (pandas infers the same); any other stays text. */
async function numericIfAll(values: string[]): Promise<unknown[]> {
  for (let i = 0; i < values.length; i++) {
    if (!NUMBER.test(values[i].trim())) return values;
    if (i % ROWS_PER_TURN === ROWS_PER_TURN - 1) await nextTurn();
  }
  return values.map(Number);
}

/**
 * hyparquet is ESM-only. TypeScript's CommonJS output turns import() into require(), and jest's module
 * sandbox refuses dynamic import() altogether, so the file is parsed in a worker thread: plain Node,
 * where import() works, and off the main thread besides.
 */
const PARQUET_WORKER = `
const { parentPort, workerData } = require('worker_threads');
const fs = require('fs');
(async () => {
  const hyparquet = await import(workerData.moduleUrl);
  const buffer = fs.readFileSync(workerData.file);
  const file = buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength);
  try {
    const metadata = hyparquet.parquetMetadata(file);
    const names = hyparquet.parquetSchema(metadata).children.map((c) => c.element.name);
    const rows = await hyparquet.parquetReadObjects({ file, metadata });
    return { names, columns: names.map((name) => rows.map((row) => row[name])) };
  } catch (e) {
    // hyparquet's own messages on damaged input are often internal (a TypeError); say what it means first.
    throw new Error('not a readable Parquet file (damaged, truncated or not Parquet; the Parquet reader said: ' + e.message + ')');
  }
})().then((table) => parentPort.postMessage({ table }), (e) => parentPort.postMessage({ error: e.message }));
`;

async function readParquet(file: string): Promise<RawTable> {
  const moduleUrl = pathToFileURL(require.resolve('hyparquet')).href;
  const reply = await new Promise<{ table?: { names: string[]; columns: unknown[][] }; error?: string }>((resolve, reject) => {
    const worker = new Worker(PARQUET_WORKER, { eval: true, workerData: { file, moduleUrl } });
    worker.once('message', (message) => { resolve(message); void worker.terminate(); });
    worker.once('error', (e) => reject(new Error(`${file}: the Parquet reader failed: ${e.message}`)));
    worker.once('exit', (code) => reject(new Error(`${file}: the Parquet reader stopped (exit code ${code}) without an answer`)));
  });
  if (reply.error !== undefined) throw new Error(`${file}: ${reply.error}`);
  const { names, columns } = reply.table!;
  if (columns.length === 0 || columns[0].length === 0) throw new Error(`${file} holds no rows`);
  return { names, columns: columns.map((values, k) => values.map((v, i) => fromParquetValue(v, file, i, names[k]))), lines: null };
}

function fromParquetValue(value: unknown, file: string, row: number, column: string): unknown {
  if (typeof value !== 'bigint') return value;
  // int64 columns arrive as BigInt; numbers are what the rest of the library handles.
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new Error(`${file} row ${row}, column '${column}': the integer ${value} is beyond 2^53 and cannot be held exactly`);
  }
  return Number(value);
}
