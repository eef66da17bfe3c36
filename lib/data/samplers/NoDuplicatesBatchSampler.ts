/**
 * sentence-transformers' BatchSamplers.NO_DUPLICATES (NoDuplicatesBatchSampler, 6.0.1): no text occurs
 * twice in a batch, across all of its input columns, so in-batch negatives are never copies of a
 * positive. Rows are visited in the order of torch.randperm(n); a row that shares a text with the batch
 * being built is deferred (it keeps its place for later batches), the rest fill the batch. When a pass over
 * the remaining rows cannot fill a batch, that smaller batch is emitted (or dropped with dropLast) and the
 * deferred rows start the next one, so without dropLast every row is used exactly once per epoch.
 * batchesPerEpoch() is the upper bound that sentence-transformers reports as its length too.
 */
import { BatchSampler, BatchSamplers, batchCount, type BatchSamplerOptions } from './BatchSampler';
import type { TorchGenerator } from './TorchGenerator';

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

  *iterate(generator: TorchGenerator, epoch: number): Generator<Int32Array, void, undefined> {
    this.reseed(generator, epoch);
    yield* this.batchesInOrder(generator.randperm(this.numRows));
  }

  batchesPerEpoch(): number {
    return batchCount(this.numRows, this.batchSize, this.dropLast);
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
