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
import { parseCsv } from './csv';

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

export async function readDataFile(file: string, options: LoadOptions = {}): Promise<RawTable> {
  const format = formatOf(file, options);
  if (!fs.existsSync(file)) throw new Error(`${file}: no such file`);
  if (format === 'parquet') return readParquet(file);
  const text = fs.readFileSync(file, 'utf8');
  if (text.replace(/^\uFEFF/, '').trim() === '') throw new Error(`${file} is empty`);
  if (format === 'json') return readJson(text, file, options.field);
  if (format === 'jsonl') return readJsonLines(text, file);
  return readDelimited(text, file, format, options);
}

/** Records (objects) to columns; every record must have the same keys as the first. */
export function recordsToTable(records: unknown[], source: string, where: (i: number) => string, lines: Int32Array | null): RawTable {
  if (records.length === 0) throw new Error(`${source} holds no records`);
  const first = asRecord(records[0], source, where(0));
  const names = Object.keys(first);
  if (names.length === 0) throw new Error(`${source} ${where(0)}: the record has no fields`);
  const index = new Map(names.map((n, k) => [n, k]));
  const columns: unknown[][] = names.map(() => new Array(records.length));
  for (let i = 0; i < records.length; i++) {
    const record = asRecord(records[i], source, where(i));
    let seen = 0;
    for (const key in record) {
      const k = index.get(key);
      if (k === undefined) {
        throw new Error(`${source} ${where(i)}: column '${key}' is not in the first record (which has ${names.join(', ')})`);
      }
      columns[k][i] = record[key];
      seen++;
    }
    if (seen !== names.length) {
      const absent = names.filter((n) => !(n in record));
      throw new Error(`${source} ${where(i)}: missing column${absent.length > 1 ? 's' : ''} ${absent.map((n) => `'${n}'`).join(', ')} (the first record has ${names.join(', ')})`);
    }
  }
  return { names, columns, lines };
}

function asRecord(value: unknown, source: string, where: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
    throw new Error(`${source} ${where}: expected a record (a JSON object), got ${kind}`);
  }
  return value as Record<string, unknown>;
}

function readJson(text: string, file: string, field: string | undefined): RawTable {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (wholeError) {
    // Not one JSON document: JSON lines under a .json name (what `Dataset.to_json` writes by default).
    if (field === undefined && /^\s*\{/.test(text.replace(/^\uFEFF/, ''))) return readJsonLines(text, file);
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
      throw new Error(`${file}: column '${name}' has ${values.length} values but column '${firstName}' has ${firstValues.length}`);
    }
  }
  if (firstValues.length === 0) throw new Error(`${file} holds no records (its columns are empty)`);
  return { names: entries.map(([n]) => n), columns: entries.map(([, v]) => v), lines: null };
}

function readJsonLines(text: string, file: string): RawTable {
  const records: unknown[] = [];
  const lineNumbers: number[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  for (let k = 0; k < lines.length; k++) {
    if (lines[k].trim() === '') continue;
    try {
      records.push(JSON.parse(lines[k]));
    } catch (e) {
      throw new Error(`${file} line ${k + 1}: ${(e as Error).message}`);
    }
    lineNumbers.push(k + 1);
  }
  return recordsToTable(records, file, (i) => `line ${lineNumbers[i]}`, Int32Array.from(lineNumbers));
}

function readDelimited(text: string, file: string, format: DataFormat, options: LoadOptions): RawTable {
  const delimiter = options.delimiter ?? (format === 'tsv' ? '\t' : ',');
  const { records, lines } = parseCsv(text, { delimiter, quote: options.quote === undefined ? '"' : options.quote }, file);
  const names = options.columnNames ?? records[0];
  const body = options.columnNames ? records : records.slice(1);
  const bodyLines = options.columnNames ? lines : lines.slice(1);
  const seen = new Set<string>();
  for (const name of names) {
    if (name === '') throw new Error(`${file}: the header has an empty column name (columns: ${names.map((n) => JSON.stringify(n)).join(', ')})`);
    if (seen.has(name)) throw new Error(`${file}: column '${name}' appears twice in the header`);
    seen.add(name);
  }
  if (body.length === 0) throw new Error(`${file} holds a header but no rows`);
  const columns: unknown[][] = names.map(() => new Array(body.length));
  for (let i = 0; i < body.length; i++) {
    const fields = body[i];
    if (fields.length !== names.length) {
      throw new Error(`${file} line ${bodyLines[i]}: ${fields.length} fields where the header has ${names.length} (${names.join(', ')})`);
    }
    for (let k = 0; k < names.length; k++) columns[k][i] = fields[k];
  }
  if (!options.keepStrings) for (let k = 0; k < columns.length; k++) columns[k] = numericIfAll(columns[k] as string[]);
  return { names, columns, lines: Int32Array.from(bodyLines) };
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** A column whose every value is a decimal number becomes numbers (pandas infers the same); any other stays text. */
function numericIfAll(values: string[]): unknown[] {
  for (const v of values) if (!NUMBER.test(v.trim())) return values;
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
  let metadata;
  try {
    metadata = hyparquet.parquetMetadata(file);
  } catch (e) {
    throw new Error('not a readable Parquet file: ' + e.message);
  }
  const names = hyparquet.parquetSchema(metadata).children.map((c) => c.element.name);
  const rows = await hyparquet.parquetReadObjects({ file, metadata });
  return { names, columns: names.map((name) => rows.map((row) => row[name])) };
})().then((table) => parentPort.postMessage({ table }), (e) => parentPort.postMessage({ error: e.message }));
`;

async function readParquet(file: string): Promise<RawTable> {
  const moduleUrl = pathToFileURL(require.resolve('hyparquet')).href;
  const reply = await new Promise<{ table?: { names: string[]; columns: unknown[][] }; error?: string }>((resolve, reject) => {
    const worker = new Worker(PARQUET_WORKER, { eval: true, workerData: { file, moduleUrl } });
    worker.once('message', (message) => { resolve(message); void worker.terminate(); });
    worker.once('error', reject);
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
