/**
 * sentence-transformers' MultiDatasetBatchSamplers.ROUND_ROBIN (RoundRobinBatchSampler, 6.0.1): the datasets
 * take turns, one batch each, until one of them has no batch left; then the epoch ends. Every dataset is
 * sampled equally often; the larger ones are not used to the end.
 */
import { MultiDatasetBatchSampler, MultiDatasetBatchSamplers, type MultiDatasetBatch, type MultiDatasetBatchSamplerOptions } from './MultiDatasetBatchSampler';
import type { TorchGenerator } from './TorchGenerator';

export class RoundRobinBatchSampler extends MultiDatasetBatchSampler {
  constructor(options: MultiDatasetBatchSamplerOptions) {
    super(MultiDatasetBatchSamplers.ROUND_ROBIN, options);
  }

  *iterate(generator: TorchGenerator, epoch: number): Generator<MultiDatasetBatch, void, undefined> {
    this.reseed(generator, epoch);
    const iterators = this.datasetIterators(generator);
    for (let k = 0; ; k = (k + 1) % iterators.length) {
      const next = iterators[k].next();
      if (next.done) return;
      yield this.batch(k, next.value);
    }
  }

  batchesPerEpoch(): number {
    return Math.min(...this.datasets.map(({ sampler }) => sampler.batchesPerEpoch())) * this.datasets.length;
  }
}
