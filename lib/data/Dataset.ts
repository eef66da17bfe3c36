/**
 * An in-memory, immutable, columnar table: what sentence-transformers users do with Hugging Face
 * `datasets.Dataset` (load, rename/select/remove/add columns, select rows, shuffle, train_test_split,
 * concatenate). Every method returns a new Dataset; unchanged columns are shared, never copied.
 *
 * Each row remembers where it came from (file and row, and the line for line-based formats), so an
 * error about a value names the place in the user's file even after shuffles, splits and concatenation.
 */
import { LoadOptions, readDataFile, recordsToTable, RawTable } from './readDataFile';
import { SeededRandom } from './SeededRandom';

/** Where rows came from: a list of sources and, per row, its source, row and line (0: no line). */
interface Origins {
  sources: string[];
  source: Int32Array;
  row: Int32Array;
  line: Int32Array;
  /** What training does with empty or blank texts (kept by every derived dataset). */
  emptyTexts?: EmptyTexts;
}

/** 'warn' (default): train on them as sentence-transformers does, with one warning; 'error': refuse them. */
export type EmptyTexts = 'warn' | 'error';

export interface TrainTestSplitOptions {
  /** A fraction in (0, 1) (the test set gets ceil(fraction * rows)) or a row count. */
  testSize: number;
  seed?: number;
  /** Shuffle before splitting (default true), as `datasets`. */
  shuffle?: boolean;
}

export class Dataset {
  private constructor(
    private readonly names: readonly string[],
    private readonly data: ReadonlyMap<string, readonly unknown[]>,
    private readonly origins: Origins,
  ) {}

  /** A dataset from records (objects with the same keys); `source` names it in error messages. */
  static fromRecords(records: readonly Record<string, unknown>[], source = 'records', options: { emptyTexts?: EmptyTexts } = {}): Dataset {
    return Dataset.fromTable(recordsToTable(records as unknown[], source, (i) => `record ${i}`, null), source, options.emptyTexts);
  }

  /** Loads .json, .jsonl/.ndjson, .csv, .tsv or .parquet, by extension (or options.format). */
  static async load(file: string, options: LoadOptions & { emptyTexts?: EmptyTexts } = {}): Promise<Dataset> {
    return Dataset.fromTable(await readDataFile(file, options), file, options.emptyTexts);
  }

  private static fromTable(table: RawTable, source: string, emptyTexts: EmptyTexts | undefined): Dataset {
    const n = table.columns[0].length;
    const row = new Int32Array(n);
    for (let i = 0; i < n; i++) row[i] = i;
    const origins = { sources: [source], source: new Int32Array(n), row, line: table.lines ?? new Int32Array(n), emptyTexts };
    return new Dataset(table.names, new Map(table.names.map((name, k) => [name, table.columns[k]])), origins);
  }

  /** What training does with an empty or blank text: 'warn' (train on it, as sentence-transformers does) or 'error'. */
  get emptyTexts(): EmptyTexts {
    return this.origins.emptyTexts ?? 'warn';
  }

  /** The same rows, with empty or blank texts trained on with a warning ('warn') or refused ('error'). */
  withEmptyTexts(mode: EmptyTexts): Dataset {
    if (mode !== 'warn' && mode !== 'error') throw new Error(`emptyTexts must be 'warn' or 'error', got ${JSON.stringify(mode)}`);
    return new Dataset(this.names, this.data, { ...this.origins, emptyTexts: mode });
  }

  get numRows(): number {
    return this.origins.row.length;
  }

  get columnNames(): string[] {
    return [...this.names];
  }

  /** Where the data came from: the file (or the sources of a concatenation, joined by " + "). */
  get source(): string {
    return this.origins.sources.join(' + ');
  }

  column(name: string): readonly unknown[] {
    const values = this.data.get(name);
    if (!values) throw new Error(this.missingColumnMessage(name));
    return values;
  }

  row(i: number): Record<string, unknown> {
    this.checkRow(i);
    const out: Record<string, unknown> = {};
    for (const name of this.names) out[name] = this.data.get(name)![i];
    return out;
  }

  /** "row 12 of train.jsonl (line 13)": where row i came from, for error messages. */
  describeRow(i: number): string {
    this.checkRow(i);
    const line = this.origins.line[i];
    return `row ${this.origins.row[i]} of ${this.origins.sources[this.origins.source[i]]}${line > 0 ? ` (line ${line})` : ''}`;
  }

  renameColumn(from: string, to: string): Dataset {
    return this.renameColumns({ [from]: to });
  }

  renameColumns(mapping: Record<string, string>): Dataset {
    for (const from of Object.keys(mapping)) if (!this.data.has(from)) throw new Error(this.missingColumnMessage(from));
    const names = this.names.map((n) => mapping[n] ?? n);
    const duplicate = names.find((n, k) => names.indexOf(n) !== k);
    if (duplicate !== undefined) throw new Error(`renaming would give two columns named '${duplicate}' in ${this.source} (columns: ${this.names.join(', ')})`);
    return new Dataset(names, new Map(this.names.map((n, k) => [names[k], this.data.get(n)!])), this.origins);
  }

  /** Keeps these columns, in this order (the order decides which column is the anchor, the positive, ...). */
  selectColumns(names: readonly string[]): Dataset {
    for (const n of names) if (!this.data.has(n)) throw new Error(this.missingColumnMessage(n));
    const duplicate = names.find((n, k) => names.indexOf(n) !== k);
    if (duplicate !== undefined) throw new Error(`column '${duplicate}' is selected twice`);
    return new Dataset([...names], new Map(names.map((n) => [n, this.data.get(n)!])), this.origins);
  }

  removeColumns(names: readonly string[]): Dataset {
    for (const n of names) if (!this.data.has(n)) throw new Error(this.missingColumnMessage(n));
    const kept = this.names.filter((n) => !names.includes(n));
    if (kept.length === 0) throw new Error(`removing ${names.join(', ')} would leave ${this.source} without columns`);
    return this.selectColumns(kept);
  }

  addColumn(name: string, values: readonly unknown[]): Dataset {
    if (this.data.has(name)) throw new Error(`${this.source} already has a column '${name}'`);
    if (values.length !== this.numRows) throw new Error(`column '${name}' has ${values.length} values but ${this.source} has ${this.numRows} rows`);
    const data = new Map(this.data);
    data.set(name, [...values]);
    return new Dataset([...this.names, name], data, this.origins);
  }

  /** The rows at these indices, in this order (repeats allowed). */
  select(indices: ArrayLike<number>): Dataset {
    const n = this.numRows;
    const idx = Int32Array.from(indices);
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k];
      if (!Number.isInteger(i) || i < 0 || i >= n) throw new Error(`select: index ${i} (position ${k}) is outside 0..${n - 1} of ${this.source}`);
    }
    const data = new Map<string, unknown[]>();
    for (const name of this.names) {
      const values = this.data.get(name)!;
      data.set(name, Array.from(idx, (i) => values[i]));
    }
    const o = this.origins;
    const origins = { sources: o.sources, source: idx.map((i) => o.source[i]), row: idx.map((i) => o.row[i]), line: idx.map((i) => o.line[i]), emptyTexts: o.emptyTexts };
    return new Dataset(this.names, data, origins);
  }

  shuffle(seed: number): Dataset {
    return this.select(new SeededRandom(seed).permutation(this.numRows));
  }

  /** Splits into train and test as `datasets.Dataset.train_test_split(test_size=..., seed=...)`: the test rows come first in the permutation. */
  trainTestSplit(options: TrainTestSplitOptions): { train: Dataset; test: Dataset } {
    const n = this.numRows;
    const { testSize } = options;
    let nTest: number;
    if (testSize > 0 && testSize < 1) nTest = Math.ceil(testSize * n);
    else if (Number.isInteger(testSize) && testSize >= 1) nTest = testSize;
    else throw new Error(`testSize must be a fraction in (0, 1) or a whole number of rows, got ${testSize}`);
    if (nTest >= n) throw new Error(`testSize ${testSize} leaves no training rows: ${nTest} test rows of ${n} in ${this.source}`);
    const order = options.shuffle === false ? Int32Array.from({ length: n }, (_, i) => i) : new SeededRandom(options.seed ?? 0).permutation(n);
    return { train: this.select(order.subarray(nTest)), test: this.select(order.subarray(0, nTest)) };
  }

  /** Rows of every dataset, in order; all must have the same columns (the first dataset's order is kept). */
  static concatenate(datasets: readonly Dataset[]): Dataset {
    if (datasets.length === 0) throw new Error('concatenate needs at least one dataset');
    const first = datasets[0];
    for (const d of datasets.slice(1)) {
      const same = d.names.length === first.names.length && first.names.every((n) => d.data.has(n));
      if (!same) throw new Error(`cannot concatenate ${d.source} (columns: ${d.names.join(', ')}) with ${first.source} (columns: ${first.names.join(', ')})`);
    }
    const data = new Map<string, unknown[]>();
    for (const name of first.names) data.set(name, datasets.flatMap((d) => d.data.get(name) as unknown[]));
    const sources: string[] = [];
    const sourceParts = datasets.map((d) => {
      const remap = d.origins.sources.map((s) => {
        const k = sources.indexOf(s);
        return k >= 0 ? k : sources.push(s) - 1;
      });
      return d.origins.source.map((s) => remap[s]);
    });
    const cat = (parts: Int32Array[]) => {
      const out = new Int32Array(parts.reduce((a, p) => a + p.length, 0));
      let at = 0;
      for (const p of parts) { out.set(p, at); at += p.length; }
      return out;
    };
    const origins = {
      sources,
      source: cat(sourceParts),
      row: cat(datasets.map((d) => d.origins.row)),
      line: cat(datasets.map((d) => d.origins.line)),
      emptyTexts: datasets.some((d) => d.emptyTexts === 'error') ? 'error' as const : undefined,
    };
    return new Dataset(first.names, data, origins);
  }

  private checkRow(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.numRows) throw new Error(`row ${i} is outside 0..${this.numRows - 1} of ${this.source}`);
  }

  private missingColumnMessage(name: string): string {
    return `${this.source} has no column '${name}'; its columns are: ${this.names.join(', ')}`;
  }
}

export const concatenateDatasets = (datasets: readonly Dataset[]): Dataset => Dataset.concatenate(datasets);
