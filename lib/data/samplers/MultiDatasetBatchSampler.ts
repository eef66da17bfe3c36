/**
 * The base of sentence-transformers' multi-dataset batch samplers (MultiDatasetDefaultBatchSampler, 6.0.1):
 * training on several named datasets at once, each with its own batch sampler; every batch comes from one
 * dataset, and the subclass decides in which order the datasets take turns.
 *
 * The seeding is sentence-transformers' trainer's: one generator is shared by this sampler and the datasets'
 * samplers. Each epoch starts with generator.manual_seed(seed + epoch) (seed: the training seed); the
 * datasets' samplers draw from it when their first batch is asked for. sentence-transformers never calls
 * set_epoch on the datasets' samplers, so they run as epoch 0 every time (a NO_DUPLICATES or GROUP_BY_LABEL
 * dataset reseeds the shared generator with 0 at its first batch, every epoch), which is kept here.
 */
import type { BatchSampler } from './BatchSampler';
import { EpochSampler } from './EpochSampler';
import { torchGenerator, type GeneratorFactory, type TorchGenerator } from './TorchGenerator';

export const MultiDatasetBatchSamplers = {
  ROUND_ROBIN: 'round_robin',
  PROPORTIONAL: 'proportional',
} as const;

export type MultiDatasetBatchSamplerName = (typeof MultiDatasetBatchSamplers)[keyof typeof MultiDatasetBatchSamplers];

export interface NamedBatchSampler {
  name: string;
  sampler: BatchSampler;
}

export interface MultiDatasetBatchSamplerOptions {
  /** The datasets in order (sentence-transformers concatenates them in this order), each with its sampler. */
  datasets: readonly NamedBatchSampler[];
  /** Epoch e starts with generator.manual_seed(seed + e); default 0 as sentence-transformers' class. */
  seed?: number;
  /** The generator factory; default LibTorch's CPU generator (the addon). */
  generator?: GeneratorFactory;
}

/** One batch: rows of one dataset. */
export interface MultiDatasetBatch {
  datasetIndex: number;
  datasetName: string;
  /** Row indices within that dataset (add globalOffsets()[datasetIndex] for the concatenated dataset's rows). */
  rows: Int32Array;
}

export abstract class MultiDatasetBatchSampler extends EpochSampler<MultiDatasetBatch> {
  readonly datasets: readonly NamedBatchSampler[];
  readonly seed: number;

  protected constructor(kind: MultiDatasetBatchSamplerName, options: MultiDatasetBatchSamplerOptions) {
    super(kind, options.generator ?? torchGenerator);
    if (options.datasets.length === 0) throw new Error(`${kind}: no datasets`);
    const names = new Set<string>();
    for (const { name } of options.datasets) {
      if (names.has(name)) throw new Error(`${kind}: the dataset name ${JSON.stringify(name)} is given twice`);
      names.add(name);
    }
    const seed = options.seed ?? 0;
    if (!(Number.isSafeInteger(seed) && seed >= 0)) throw new Error(`${kind}: seed must be a non-negative integer, got ${seed}`);
    this.datasets = [...options.datasets];
    this.seed = seed;
  }

  /** Where each dataset starts in the concatenation of all of them (sentence-transformers' ConcatDataset indices). */
  globalOffsets(): number[] {
    const offsets = [0];
    for (const { sampler } of this.datasets) offsets.push(offsets[offsets.length - 1] + sampler.numRows);
    return offsets;
  }

  protected reseed(generator: TorchGenerator, epoch: number): void {
    generator.manualSeed(this.seed + epoch);
  }

  /** The datasets' batch iterators over the shared generator; lazy, as Python's iter(sampler). */
  protected datasetIterators(generator: TorchGenerator): Generator<Int32Array, void, undefined>[] {
    return this.datasets.map(({ sampler }) => sampler.iterate(generator, 0));
  }

  protected batch(datasetIndex: number, rows: Int32Array): MultiDatasetBatch {
    return { datasetIndex, datasetName: this.datasets[datasetIndex].name, rows };
  }

  protected shape(): Record<string, unknown> {
    const datasets = this.datasets.map(({ name, sampler: s }) => ({ name, kind: s.kind, numRows: s.numRows, batchSize: s.batchSize, dropLast: s.dropLast, seed: s.seed }));
    return { seed: this.seed, datasets };
  }
}
