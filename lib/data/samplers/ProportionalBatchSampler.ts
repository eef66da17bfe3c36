/**
 * sentence-transformers' MultiDatasetBatchSamplers.PROPORTIONAL (ProportionalBatchSampler, 6.0.1, the
 * default): each dataset gets as many turns as its sampler has batches (its len()), in an order shuffled by
 * torch.randperm over all those turns, so every dataset is used to the end and the larger ones come up more
 * often. A turn of a dataset whose sampler ran out early (NO_DUPLICATES on repetitive data) is skipped.
 */
import { MultiDatasetBatchSampler, MultiDatasetBatchSamplers, type MultiDatasetBatch, type MultiDatasetBatchSamplerOptions } from './MultiDatasetBatchSampler';
import type { TorchGenerator } from './TorchGenerator';

export class ProportionalBatchSampler extends MultiDatasetBatchSampler {
  constructor(options: MultiDatasetBatchSamplerOptions) {
    super(MultiDatasetBatchSamplers.PROPORTIONAL, options);
  }

  *iterate(generator: TorchGenerator, epoch: number): Generator<MultiDatasetBatch, void, undefined> {
    this.reseed(generator, epoch);
    const turns: number[] = [];
    this.datasets.forEach(({ sampler }, k) => {
      for (let b = sampler.batchesPerEpoch(); b > 0; b--) turns.push(k);
    });
    const iterators = this.datasetIterators(generator);
    // The order of all turns is drawn before any dataset's sampler draws its own.
    const order = generator.randperm(turns.length);
    for (const i of order) {
      const k = turns[i];
      const next = iterators[k].next();
      if (!next.done) yield this.batch(k, next.value);
    }
  }

  batchesPerEpoch(): number {
    return this.datasets.reduce((sum, { sampler }) => sum + sampler.batchesPerEpoch(), 0);
  }
}
