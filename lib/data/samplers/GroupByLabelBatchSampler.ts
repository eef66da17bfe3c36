/**
 * sentence-transformers' BatchSamplers.GROUP_BY_LABEL (GroupByLabelBatchSampler, 6.0.1), for in-batch
 * triplet mining: batches made of pairs of rows of one label, mixing the labels. (sentence-transformers says
 * every batch holds 2 labels or more; a batch that spans two rounds can meet one label twice, though, and
 * with a batch size of 4 hold only that label: kept as there.)
 *
 * The rows are grouped by label (labels in order of first appearance); labels with fewer than 2 rows are
 * left out, and each group is cut to an even count (its last row goes when the count is odd). Each epoch,
 * every group is shuffled (torch.randperm), then rounds follow while at least 2 labels have rows left: the
 * labels in a freshly shuffled order each give their next 2 rows to a stream that is cut into batches of
 * batchSize. The rows left over at the end form one more batch if there are at least 4 and not dropLast.
 */
import { BatchSampler, BatchSamplers, type BatchSamplerOptions } from './BatchSampler';
import type { TorchGenerator } from './TorchGenerator';

export class GroupByLabelBatchSampler extends BatchSampler {
  /** The row indices of each kept label, in order of first appearance, each cut to an even count. */
  private readonly groups: Int32Array[];
  /** Rows the round-robin stream yields per epoch (it stops when one label is left). */
  private readonly streamLength: number;

  constructor(options: BatchSamplerOptions) {
    super(BatchSamplers.GROUP_BY_LABEL, options);
    if (this.batchSize < 4 || this.batchSize % 2 === 1) {
      throw new Error(`group_by_label: the batch size must be an even number >= 4 (each batch holds pairs of rows from at least 2 labels), got ${this.batchSize}`);
    }
    const labels = options.labels;
    if (!labels) {
      throw new Error('group_by_label: the data has no label column (one of label, labels, score, scores); GROUP_BY_LABEL groups the rows by it');
    }
    const byLabel = new Map<number, number[]>();
    labels.forEach((label, row) => {
      const rows = byLabel.get(label);
      if (rows) rows.push(row); else byLabel.set(label, [row]);
    });
    const kept = [...byLabel.values()].filter((rows) => rows.length >= 2);
    if (kept.length < 2) {
      const singles = [...byLabel].filter(([, rows]) => rows.length < 2).map(([label]) => label);
      throw new Error(`group_by_label needs at least 2 distinct labels with at least 2 rows each, but only ${kept.length} of the ${byLabel.size} labels `
        + `in the ${this.numRows} rows ${kept.length === 1 ? 'has' : 'have'} 2 rows or more`
        + (singles.length > 0 ? ` (labels with a single row: ${singles.slice(0, 5).join(', ')}${singles.length > 5 ? ', ...' : ''})` : ''));
    }
    this.groups = kept.map((rows) => Int32Array.from(rows.slice(0, rows.length - (rows.length % 2))));
    const pairs = this.groups.map((g) => g.length / 2).sort((a, b) => b - a);
    const cap = pairs[1]; // the round after which fewer than 2 labels are left
    this.streamLength = 2 * pairs.reduce((sum, p) => sum + Math.min(p, cap), 0);
  }

  *iterate(generator: TorchGenerator, epoch: number): Generator<Int32Array, void, undefined> {
    this.reseed(generator, epoch);
    const queues = this.groups.map((rows) => Array.from(generator.randperm(rows.length), (i) => rows[i]));
    const taken = new Array<number>(queues.length).fill(0);
    let remaining = queues.map((_, label) => label);
    let stream: number[] = [];
    while (remaining.length >= 2) {
      const order = generator.randperm(remaining.length);
      remaining = Array.from(order, (i) => remaining[i]);
      for (const label of remaining) {
        stream.push(queues[label][taken[label]], queues[label][taken[label] + 1]);
        taken[label] += 2;
        if (stream.length >= this.batchSize) {
          yield Int32Array.from(stream.slice(0, this.batchSize));
          stream = stream.slice(this.batchSize);
        }
      }
      remaining = remaining.filter((label) => taken[label] < queues[label].length);
    }
    // At least 4 rows of the round-robin stream hold 2 labels with 2 rows each.
    if (!this.dropLast && stream.length >= 4) yield Int32Array.from(stream);
  }

  batchesPerEpoch(): number {
    const extra = !this.dropLast && this.streamLength % this.batchSize >= 4 ? 1 : 0;
    return Math.floor(this.streamLength / this.batchSize) + extra;
  }
}
