/**
 * What the Trainer trains on, as sentence-transformers' trainer takes it: one dataset with one loss, or a
 * dict of named datasets, each with its own loss (a dict of losses with the same names) or all with one
 * loss. Each source's columns are validated and tokenized once; its loss checks it before the first step.
 * Batches name their source: the collated batch carries the source's labels and its lossIndex (the
 * engine holds one loss per source, in this order).
 */
import type { LossSpec } from '../binding/AddonTypes';
import { collateBatch, type CollatedBatch } from '../data/collate';
import type { Dataset } from '../data/Dataset';
import { trainingColumns, type TrainingColumns } from '../data/inputColumns';
import {
  createBatchSampler, createMultiDatasetBatchSampler, type BatchSamplerName, type MultiDatasetBatchSamplerName,
} from '../data/samplers';
import type { Loss } from '../losses/Loss';
import type { SentenceTransformer } from '../models/SentenceTransformer';

export type DatasetOrDict = Dataset | Record<string, Dataset>;
export type LossOrDict = Loss | Record<string, Loss>;

export interface TrainingSource {
  name: string;
  dataset: Dataset;
  loss: Loss;
  columns: TrainingColumns;
  /** tokenized[c][row]: token ids of input column c. */
  tokenized: Int32Array[][];
}

/** One batch: rows of one source. */
export interface SourceBatch {
  source: number;
  rows: Int32Array;
}

/** A sampler of SourceBatches, single- or multi-dataset. */
export interface SourceSampler {
  batchesPerEpoch(): number;
  epochBatches(epoch: number): SourceBatch[];
}

export interface SamplingArgs {
  batchSampler: BatchSamplerName;
  multiDatasetBatchSampler: MultiDatasetBatchSamplerName;
  batchSize: number;
  dropLast: boolean;
  seed: number;
  dataSeed?: number | null;
}

export class TrainingSources {
  private constructor(readonly sources: TrainingSource[], readonly isDict: boolean) {}

  /**
   * Pairs datasets with losses (a loss dict must name exactly the datasets), validates every source's
   * columns against its loss and the model, and tokenizes them (on worker threads: the event loop keeps
   * running). `role` names the datasets in errors.
   */
  static async prepare(data: DatasetOrDict, loss: LossOrDict, model: SentenceTransformer, role = 'train_dataset'): Promise<TrainingSources> {
    const isDict = !isDataset(data);
    const named: [string, Dataset][] = isDict ? Object.entries(data as Record<string, Dataset>) : [['', data as Dataset]];
    if (named.length === 0) throw new Error(`${role} is an empty dict: give at least one dataset`);
    const lossDict = isLoss(loss) ? null : (loss as Record<string, Loss>);
    if (lossDict) {
      if (!isDict) throw new Error(`a dict of losses (${Object.keys(lossDict).join(', ')}) needs a dict of datasets with the same names as ${role}`);
      const names = named.map(([n]) => n).sort().join(', ');
      const lossNames = Object.keys(lossDict).sort().join(', ');
      if (names !== lossNames) throw new Error(`the losses are named [${lossNames}] but the datasets of ${role} [${names}]; give one loss per dataset, by name`);
    }
    const checked = named.map(([name, dataset]) => {
      const l = lossDict ? lossDict[name] : (loss as Loss);
      const columns = trainingColumns(dataset);
      const where = name ? `${role} "${name}" (${dataset.source})` : dataset.source;
      try {
        l.checkData({ ...columns, describeRow: (row) => dataset.describeRow(row) });
        l.checkModel(model.embeddingDim, model);
      } catch (e) {
        throw new Error(`${where}: ${(e as Error).message}`);
      }
      return { name, dataset, loss: l, columns };
    });
    const sources: TrainingSource[] = [];
    for (const s of checked) {
      // Every column in one call, so the worker threads share out all of the source's texts.
      const ids = await model.tokenizeAsync(s.columns.texts.flat());
      let offset = 0;
      const tokenized = s.columns.texts.map((col) => ids.slice(offset, (offset += col.length)));
      sources.push({ ...s, tokenized });
    }
    return new TrainingSources(sources, isDict);
  }

  get numRows(): number {
    return this.sources.reduce((n, s) => n + s.dataset.numRows, 0);
  }

  /** One spec per source, in source order (a batch's lossIndex is its source). */
  lossSpecs(): LossSpec[] {
    return this.sources.map((s) => s.loss.toSpec());
  }

  /** The batch sampler sentence-transformers builds for these sources and arguments. */
  sampler(a: SamplingArgs): SourceSampler {
    for (const s of this.sources) {
      if (a.batchSize > s.dataset.numRows && !this.isDict) {
        throw new Error(`per_device_train_batch_size ${a.batchSize} is larger than the ${s.dataset.numRows} rows of the training data (${s.dataset.source}); lower the batch size`);
      }
    }
    const common = { batchSize: a.batchSize, dropLast: a.dropLast, seed: a.seed, dataSeed: a.dataSeed };
    if (!this.isDict) {
      const s = this.sources[0];
      const single = createBatchSampler(a.batchSampler, { texts: s.columns.texts, labels: s.columns.labels, ...common });
      return {
        batchesPerEpoch: () => single.batchesPerEpoch(),
        epochBatches: (epoch) => single.epochBatches(epoch).map((rows) => ({ source: 0, rows })),
      };
    }
    const multi = createMultiDatasetBatchSampler(a.multiDatasetBatchSampler, a.batchSampler,
      this.sources.map((s) => ({ name: s.name, texts: s.columns.texts, labels: s.columns.labels })), common);
    return {
      batchesPerEpoch: () => multi.batchesPerEpoch(),
      epochBatches: (epoch) => multi.epochBatches(epoch).map((b) => ({ source: b.datasetIndex, rows: b.rows })),
    };
  }

  collate(batch: SourceBatch): CollatedBatch & { lossIndex: number } {
    const s = this.sources[batch.source];
    return { ...collateBatch(batch.rows, s.tokenized, s.columns.labels), lossIndex: batch.source };
  }
}

function isDataset(x: unknown): x is Dataset {
  return typeof x === 'object' && x !== null && typeof (x as Dataset).column === 'function' && typeof (x as Dataset).numRows === 'number';
}

function isLoss(x: unknown): x is Loss {
  return typeof x === 'object' && x !== null && typeof (x as Loss).toSpec === 'function';
}
