/**
 * The base of the single-dataset batch samplers of sentence-transformers (sentence_transformers/base/sampler.py,
 * 6.0.1), by their `batch_sampler` names. A batch is an Int32Array of row indices.
 */
import { EpochSampler } from './EpochSampler';
import { torchGenerator, type GeneratorFactory, type TorchGenerator } from './TorchGenerator';

export const BatchSamplers = {
  BATCH_SAMPLER: 'batch_sampler',
  NO_DUPLICATES: 'no_duplicates',
  GROUP_BY_LABEL: 'group_by_label',
} as const;

export type BatchSamplerName = (typeof BatchSamplers)[keyof typeof BatchSamplers];

export interface BatchSamplerOptions {
  /** texts[c][row]: the input columns (the label column excluded); NO_DUPLICATES compares them. */
  texts: readonly (readonly string[])[];
  /** labels[row]: the label column; GROUP_BY_LABEL groups the rows by it, the others ignore it. */
  labels?: Float32Array | null;
  batchSize: number;
  /** Drop the last, smaller batch of an epoch (`dataloader_drop_last`). Default false. */
  dropLast?: boolean;
  /**
   * sentence-transformers' `seed` of the sampler (default 0): epoch e starts with generator.manual_seed(seed + e).
   * null: no reseeding; the draws continue a generator that a multi-dataset sampler shares (and reseeds).
   */
  seed?: number | null;
  /** The generator factory; default LibTorch's CPU generator (the addon). */
  generator?: GeneratorFactory;
}

/** Batches per epoch of a fixed-size sampler, as torch's BatchSampler.__len__. */
export function batchCount(numRows: number, batchSize: number, dropLast: boolean): number {
  return dropLast ? Math.floor(numRows / batchSize) : Math.ceil(numRows / batchSize);
}

export abstract class BatchSampler extends EpochSampler<Int32Array> {
  readonly numRows: number;
  readonly batchSize: number;
  readonly dropLast: boolean;
  readonly seed: number | null;

  protected constructor(kind: BatchSamplerName, options: BatchSamplerOptions) {
    super(kind, options.generator ?? torchGenerator);
    if (options.texts.length === 0) throw new Error(`${kind}: no input columns`);
    const numRows = options.texts[0].length;
    for (const [c, col] of options.texts.entries()) {
      if (col.length !== numRows) throw new Error(`${kind}: input column ${c} has ${col.length} rows, column 0 has ${numRows}`);
    }
    if (options.labels && options.labels.length !== numRows) throw new Error(`${kind}: the label column has ${options.labels.length} rows, the input columns ${numRows}`);
    if (!Number.isInteger(options.batchSize) || options.batchSize < 1) throw new Error(`${kind}: batchSize must be a positive integer, got ${options.batchSize}`);
    if (numRows < 1) throw new Error(`${kind}: the dataset has no rows`);
    const seed = options.seed === undefined ? 0 : options.seed;
    if (seed !== null && !(Number.isSafeInteger(seed) && seed >= 0)) throw new Error(`${kind}: seed must be a non-negative integer or null, got ${seed}`);
    this.numRows = numRows;
    this.batchSize = options.batchSize;
    this.dropLast = options.dropLast ?? false;
    this.seed = seed;
  }

  /** As sentence-transformers at the start of __iter__: `if generator and seed is not None: generator.manual_seed(seed + epoch)`. */
  protected reseed(generator: TorchGenerator, epoch: number): void {
    if (this.seed !== null) generator.manualSeed(this.seed + epoch);
  }

  override epochBatches(epoch: number): Int32Array[] {
    if (this.seed === null) {
      throw new Error(`${this.kind}: a sampler without a seed continues a shared generator; it runs only inside a multi-dataset sampler`);
    }
    return super.epochBatches(epoch);
  }

  protected shape(): Record<string, unknown> {
    return { numRows: this.numRows, batchSize: this.batchSize, dropLast: this.dropLast, seed: this.seed };
  }
}
