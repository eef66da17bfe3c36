import type { InputExample } from './InputExample';

/**
 * What the legacy `model.fit` takes in place of torch's DataLoader: a list of InputExamples and the batch
 * size. The examples are used in the order given, as a DataLoader without shuffle yields them (shuffle
 * them before, if wanted); the trainer's batch sampler then draws the batches, as sentence-transformers
 * 3+ does under fit.
 */
export class DataLoader {
  readonly examples: readonly InputExample[];
  readonly batchSize: number;

  constructor(examples: readonly InputExample[], options: { batchSize?: number } = {}) {
    const batchSize = options.batchSize ?? 1;
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`DataLoader: batchSize must be a positive integer, got ${options.batchSize}`);
    if (examples.length === 0) throw new Error('DataLoader: no examples');
    this.examples = examples;
    this.batchSize = batchSize;
  }
}
