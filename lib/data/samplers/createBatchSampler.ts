/**
 * The samplers as sentence-transformers' trainer builds them (SentenceTransformerTrainer._build_dataloader,
 * get_batch_sampler and get_multi_dataset_batch_sampler, 6.0.1, with accelerate 1.15 and transformers 5.17),
 * so that the same training arguments give the same batches:
 *
 * - BATCH_SAMPLER: accelerate swaps the RandomSampler for its SeedableRandomSampler, which reseeds with
 *   (data_seed, else the training seed) + epoch.
 * - NO_DUPLICATES, GROUP_BY_LABEL: the trainer passes them no seed, so they keep their default 0 and reseed
 *   with 0 + epoch, whatever the training seed.
 * - Several datasets: one generator for all; the multi-dataset sampler reseeds it with seed + epoch, a
 *   BATCH_SAMPLER dataset draws from it without reseeding (no SeedableRandomSampler there), a NO_DUPLICATES
 *   or GROUP_BY_LABEL dataset reseeds it with 0 (see MultiDatasetBatchSampler). data_seed plays no part.
 */
import { BatchSamplers, type BatchSampler, type BatchSamplerName, type BatchSamplerOptions } from './BatchSampler';
import { DefaultBatchSampler } from './DefaultBatchSampler';
import { GroupByLabelBatchSampler } from './GroupByLabelBatchSampler';
import { MultiDatasetBatchSamplers, type MultiDatasetBatchSampler, type MultiDatasetBatchSamplerName } from './MultiDatasetBatchSampler';
import { NoDuplicatesBatchSampler } from './NoDuplicatesBatchSampler';
import { ProportionalBatchSampler } from './ProportionalBatchSampler';
import { RoundRobinBatchSampler } from './RoundRobinBatchSampler';
import type { GeneratorFactory } from './TorchGenerator';

export interface SamplerData {
  /** texts[c][row]: the input columns. */
  texts: readonly (readonly string[])[];
  /** The label column, if the data has one (GROUP_BY_LABEL needs it). */
  labels?: Float32Array | null;
}

export interface TrainerSamplingOptions {
  /** per_device_train_batch_size */
  batchSize: number;
  /** dataloader_drop_last */
  dropLast?: boolean;
  /** The training seed (`seed`, default 42 there; 0 here when not given). */
  seed?: number;
  /** `data_seed`: BATCH_SAMPLER's seed when given (a single dataset only, as in sentence-transformers). */
  dataSeed?: number | null;
  generator?: GeneratorFactory;
}

function batchSampler(name: BatchSamplerName, options: BatchSamplerOptions): BatchSampler {
  switch (name) {
    case BatchSamplers.BATCH_SAMPLER:
      return new DefaultBatchSampler(options);
    case BatchSamplers.NO_DUPLICATES:
      return new NoDuplicatesBatchSampler(options);
    case BatchSamplers.GROUP_BY_LABEL:
      return new GroupByLabelBatchSampler(options);
    default:
      throw new Error(`unknown batch_sampler ${JSON.stringify(name)}; use one of ${Object.values(BatchSamplers).join(', ')}`);
  }
}

/** The batch sampler of a training run on one dataset. */
export function createBatchSampler(name: BatchSamplerName, options: SamplerData & TrainerSamplingOptions): BatchSampler {
  const seed = name === BatchSamplers.BATCH_SAMPLER ? options.dataSeed ?? options.seed ?? 0 : 0;
  const { texts, labels, batchSize, dropLast, generator } = options;
  return batchSampler(name, { texts, labels, batchSize, dropLast, seed, generator });
}

/** The batch sampler of a training run on several named datasets (a dict of datasets in sentence-transformers). */
export function createMultiDatasetBatchSampler(name: MultiDatasetBatchSamplerName, batchSamplerName: BatchSamplerName,
  datasets: readonly (SamplerData & { name: string })[], options: TrainerSamplingOptions): MultiDatasetBatchSampler {
  const samplers = datasets.map(({ name: datasetName, ...data }) => {
    const seed = batchSamplerName === BatchSamplers.BATCH_SAMPLER ? null : 0;
    const sampler = batchSampler(batchSamplerName, { ...data, batchSize: options.batchSize, dropLast: options.dropLast, seed, generator: options.generator });
    return { name: datasetName, sampler };
  });
  const multiOptions = { datasets: samplers, seed: options.seed ?? 0, generator: options.generator };
  switch (name) {
    case MultiDatasetBatchSamplers.ROUND_ROBIN:
      return new RoundRobinBatchSampler(multiOptions);
    case MultiDatasetBatchSamplers.PROPORTIONAL:
      return new ProportionalBatchSampler(multiOptions);
    default:
      throw new Error(`unknown multi_dataset_batch_sampler ${JSON.stringify(name)}; use one of ${Object.values(MultiDatasetBatchSamplers).join(', ')}`);
  }
}
