/**
 * The batch samplers of sentence-transformers (sentence_transformers/base/sampler.py, 6.0.1), by their
 * `batch_sampler` names. A sampler turns an epoch number into that epoch's batches of row indices,
 * deterministically from (seed + epoch) as sentence-transformers reseeds per epoch, and walks through
 * them keeping (epoch, position), which is all a checkpoint needs to resume on the very next batch.
 * Our own seeded shuffle stands in for torch.randperm (same seed, same batches; not torch's order).
 */
import { SeededRandom } from './SeededRandom';

export const BatchSamplers = {
  BATCH_SAMPLER: 'batch_sampler',
  NO_DUPLICATES: 'no_duplicates',
} as const;

export type BatchSamplerName = (typeof BatchSamplers)[keyof typeof BatchSamplers];

export function createBatchSampler(name: BatchSamplerName, options: BatchSamplerOptions): BatchSampler {
  switch (name) {
    case BatchSamplers.BATCH_SAMPLER:
      return new DefaultBatchSampler(options);
    case BatchSamplers.NO_DUPLICATES:
      return new NoDuplicatesBatchSampler(options);
    default:
      throw new Error(`unknown batch_sampler ${JSON.stringify(name)}; use one of ${Object.values(BatchSamplers).join(', ')}`);
  }
}

export interface BatchSamplerOptions {
  /** texts[c][row]: the input columns (the label column excluded); NO_DUPLICATES compares them. */
  texts: readonly (readonly string[])[];
  batchSize: number;
  /** Drop the last, smaller batch of an epoch (`dataloader_drop_last`). Default false. */
  dropLast?: boolean;
  /** Default 0; epoch e shuffles with seed + e. */
  seed?: number;
}

/** What a checkpoint stores; the sampler's shape is kept so a resume on other data fails loudly. */
export interface BatchSamplerState {
  kind: BatchSamplerName;
  epoch: number;
  /** Batches of this epoch already handed out. */
  position: number;
  numRows: number;
  batchSize: number;
  dropLast: boolean;
  seed: number;
}

/** Batches per epoch as sentence-transformers' `len(batch_sampler)`, which the Trainer's schedule is built on. */
export function batchCount(numRows: number, batchSize: number, dropLast: boolean): number {
  return dropLast ? Math.floor(numRows / batchSize) : Math.ceil(numRows / batchSize);
}

export abstract class BatchSampler {
  readonly numRows: number;
  readonly batchSize: number;
  readonly dropLast: boolean;
  readonly seed: number;
  private epoch = 0;
  private position = 0;
  private batches: Int32Array[] | null = null;

  protected constructor(readonly kind: BatchSamplerName, options: BatchSamplerOptions) {
    if (options.texts.length === 0) throw new Error(`${kind}: no input columns`);
    const numRows = options.texts[0].length;
    for (const [c, col] of options.texts.entries()) {
      if (col.length !== numRows) throw new Error(`${kind}: input column ${c} has ${col.length} rows, column 0 has ${numRows}`);
    }
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1) throw new Error(`${kind}: batchSize must be a positive integer, got ${options.batchSize}`);
    if (!Number.isInteger(numRows) || numRows < 1) throw new Error(`${kind}: the dataset has no rows`);
    const seed = options.seed ?? 0;
    if (!Number.isSafeInteger(seed)) throw new Error(`${kind}: seed must be an integer, got ${seed}`);
    this.numRows = numRows;
    this.batchSize = options.batchSize;
    this.dropLast = options.dropLast ?? false;
    this.seed = seed;
  }

  /** The batches of one epoch; the same (seed, epoch) always gives the same batches. */
  abstract epochBatches(epoch: number): Int32Array[];

  /** Batches per epoch as sentence-transformers' len() counts them (for NO_DUPLICATES an upper bound, as there). */
  batchesPerEpoch(): number {
    return batchCount(this.numRows, this.batchSize, this.dropLast);
  }

  get currentEpoch(): number {
    return this.epoch;
  }

  /** Starts an epoch from its first batch. */
  setEpoch(epoch: number): void {
    if (!Number.isInteger(epoch) || epoch < 0) throw new Error(`${this.kind}: epoch must be a non-negative integer, got ${epoch}`);
    if (epoch !== this.epoch) this.batches = null;
    this.epoch = epoch;
    this.position = 0;
  }

  /** The next batch of the current epoch, or null when the epoch is over. */
  next(): Int32Array | null {
    this.batches ??= this.epochBatches(this.epoch);
    if (this.position >= this.batches.length) return null;
    return this.batches[this.position++];
  }

  get state(): BatchSamplerState {
    const { kind, epoch, position, numRows, batchSize, dropLast, seed } = this;
    return { kind, epoch, position, numRows, batchSize, dropLast, seed };
  }

  /** Continues from a saved state: the next call to next() returns the batch that followed it. */
  restore(state: BatchSamplerState): void {
    for (const key of ['kind', 'numRows', 'batchSize', 'dropLast', 'seed'] as const) {
      if (state[key] !== this[key]) {
        throw new Error(`cannot resume: the saved sampler had ${key} = ${JSON.stringify(state[key])}, this one has ${JSON.stringify(this[key])}`);
      }
    }
    this.setEpoch(state.epoch);
    this.batches = this.epochBatches(state.epoch);
    if (!Number.isInteger(state.position) || state.position < 0 || state.position > this.batches.length) {
      throw new Error(`cannot resume: position ${state.position} is outside the ${this.batches.length} batches of epoch ${state.epoch}`);
    }
    this.position = state.position;
  }
}

/**
 * sentence-transformers' BatchSamplers.BATCH_SAMPLER (the default): the rows in a random order, cut
 * into batches of batchSize; the last, smaller batch is kept unless dropLast.
 */
export class DefaultBatchSampler extends BatchSampler {
  constructor(options: BatchSamplerOptions) {
    super(BatchSamplers.BATCH_SAMPLER, options);
  }

  epochBatches(epoch: number): Int32Array[] {
    const order = new SeededRandom(this.seed + epoch).permutation(this.numRows);
    const batches: Int32Array[] = [];
    for (let start = 0; start < order.length; start += this.batchSize) {
      const batch = order.slice(start, start + this.batchSize);
      if (batch.length < this.batchSize && this.dropLast) break;
      batches.push(batch);
    }
    return batches;
  }
}

/**
 * sentence-transformers' BatchSamplers.NO_DUPLICATES (NoDuplicatesBatchSampler, 6.0.1): no text occurs
 * twice in a batch, across all of its input columns, so in-batch negatives are never copies of a
 * positive. Rows are visited in a shuffled order; a row that shares a text with the batch being built is
 * deferred (it keeps its place for later batches), the rest fill the batch. When a pass over the
 * remaining rows cannot fill a batch, that smaller batch is emitted (or dropped with dropLast) and the
 * deferred rows start the next one, so without dropLast every row is used exactly once per epoch.
 * batchesPerEpoch() is the upper bound that sentence-transformers reports as its length too.
 */
export class NoDuplicatesBatchSampler extends BatchSampler {
  /** rowTexts[row * numColumns + c]: the id of the distinct text in column c of the row. */
  private readonly rowTexts: Int32Array;
  private readonly numColumns: number;
  private readonly numTexts: number;

  constructor(options: BatchSamplerOptions) {
    super(BatchSamplers.NO_DUPLICATES, options);
    const columns = options.texts;
    const numRows = this.numRows;
    this.numColumns = columns.length;
    const ids = new Map<string, number>();
    this.rowTexts = new Int32Array(numRows * this.numColumns);
    for (let row = 0; row < numRows; row++) {
      for (let c = 0; c < this.numColumns; c++) {
        const text = columns[c][row];
        let id = ids.get(text);
        if (id === undefined) { id = ids.size; ids.set(text, id); }
        this.rowTexts[row * this.numColumns + c] = id;
      }
    }
    this.numTexts = ids.size;
  }

  epochBatches(epoch: number): Int32Array[] {
    return this.batchesInOrder(new SeededRandom(this.seed + epoch).permutation(this.numRows));
  }

  /** The batches for a given visiting order of the rows (a permutation of 0..numRows-1). */
  batchesInOrder(order: Int32Array): Int32Array[] {
    const n = this.numRows;
    const cols = this.numColumns;
    if (order.length !== n) throw new Error(`no_duplicates: the order has ${order.length} rows, the data ${n}`);
    // A singly linked list over the positions of `order` still to be placed; -1 ends it.
    const nextPosition = new Int32Array(n);
    for (let p = 0; p < n; p++) nextPosition[p] = p + 1;
    nextPosition[n - 1] = -1;
    let head = 0;
    // inBatch[text] === batchNumber marks the texts of the batch being built (no clearing between batches).
    const inBatch = new Int32Array(this.numTexts).fill(-1);
    const batches: Int32Array[] = [];
    let batchNumber = 0;

    while (head !== -1) {
      const batch: number[] = [];
      let position = head;
      let previous = -1;
      let full = false;
      while (position !== -1) {
        const following = nextPosition[position];
        const row = order[position];
        let clash = false;
        for (let c = 0; c < cols && !clash; c++) clash = inBatch[this.rowTexts[row * cols + c]] === batchNumber;
        if (clash) {
          previous = position;
          position = following;
          continue;
        }
        batch.push(row);
        if (previous === -1) head = following; else nextPosition[previous] = following;
        if (batch.length === this.batchSize) { full = true; break; }
        for (let c = 0; c < cols; c++) inBatch[this.rowTexts[row * cols + c]] = batchNumber;
        position = following;
      }
      if (full || !this.dropLast) batches.push(Int32Array.from(batch));
      batchNumber++;
    }
    return batches;
  }
}
