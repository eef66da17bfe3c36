/**
 * sentence-transformers' BatchSamplers.BATCH_SAMPLER (the default): torch's BatchSampler over a RandomSampler,
 * i.e. the rows in the order of torch.randperm(n), cut into batches of batchSize; the last, smaller batch is
 * kept unless dropLast.
 */
import { BatchSampler, BatchSamplers, batchCount, type BatchSamplerOptions } from './BatchSampler';
import type { TorchGenerator } from './TorchGenerator';

export class DefaultBatchSampler extends BatchSampler {
  constructor(options: BatchSamplerOptions) {
    super(BatchSamplers.BATCH_SAMPLER, options);
  }

  *iterate(generator: TorchGenerator, epoch: number): Generator<Int32Array, void, undefined> {
    this.reseed(generator, epoch);
    const n = this.numRows;
    const size = this.batchSize;
    const order = generator.randperm(n);
    const full = Math.floor(n / size);
    for (let b = 0; b < full; b++) yield order.slice(b * size, (b + 1) * size);
    // torch's RandomSampler draws one more permutation (cut to length 0) when its rows run out: while the
    // last, smaller batch is formed, or else when the batch after the last full one is asked for. Later
    // draws from a shared generator (the multi-dataset samplers) depend on it.
    generator.randperm(n);
    if (!this.dropLast && full * size < n) yield order.slice(full * size);
  }

  batchesPerEpoch(): number {
    return batchCount(this.numRows, this.batchSize, this.dropLast);
  }
}
