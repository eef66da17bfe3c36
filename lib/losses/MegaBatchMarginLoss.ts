import type { LossSpec } from '../binding/AddonTypes';
import { miniBatchSize } from './CachedRankingLoss';
import { rejectLabels, requireInputColumns } from './dataRequirements';
import type { Loss, LossData } from './Loss';
import type { LossOptions } from './LossOptions';

export interface MegaBatchMarginOptions {
  /** The anchor-positive cosine should reach this (default 0.8). */
  positiveMargin?: number;
  /** The hardest in-batch negative's cosine should stay below this (default 0.3). */
  negativeMargin?: number;
  /** GradCache mini-batches inside the engine call (default true), so a large batch fits in memory. */
  useMiniBatchedVersion?: boolean;
  /** Texts per encoder forward and anchor rows per loss chunk when mini-batched (default 50). */
  miniBatchSize?: number;
}

/**
 * MegaBatchMarginLoss (Wieting and Gimpel 2018): for each (anchor, positive) row, a hinge pulling the
 * pair's cosine above positive_margin and pushing the most similar other positive of the batch (the
 * hardest negative) below negative_margin. Meant for large batches, hence the mini-batched version.
 */
export class MegaBatchMarginLoss implements Loss {
  readonly name = 'MegaBatchMarginLoss';
  readonly positiveMargin: number;
  readonly negativeMargin: number;
  readonly useMiniBatchedVersion: boolean;
  readonly miniBatchSize: number;

  constructor(options: MegaBatchMarginOptions = {}) {
    this.positiveMargin = options.positiveMargin ?? 0.8;
    this.negativeMargin = options.negativeMargin ?? 0.3;
    for (const [key, v] of [['positive_margin', this.positiveMargin], ['negative_margin', this.negativeMargin]] as const) {
      if (!Number.isFinite(v)) throw new Error(`${this.name}: ${key} must be a finite number, got ${v}`);
    }
    this.useMiniBatchedVersion = options.useMiniBatchedVersion ?? true;
    this.miniBatchSize = miniBatchSize(this.name, options.miniBatchSize, 50);
  }

  static fromConfig(o: LossOptions): MegaBatchMarginLoss {
    return new MegaBatchMarginLoss({
      positiveMargin: o.number('positive_margin', 0.8), negativeMargin: o.number('negative_margin', 0.3),
      useMiniBatchedVersion: o.boolean('use_mini_batched_version', true), miniBatchSize: o.integer('mini_batch_size', 50),
    });
  }

  toSpec(): LossSpec {
    return {
      name: this.name, positiveMargin: this.positiveMargin, negativeMargin: this.negativeMargin,
      useMiniBatchedVersion: this.useMiniBatchedVersion, miniBatchSize: this.miniBatchSize,
    };
  }

  checkData(data: LossData): void {
    requireInputColumns(this.name, data, {
      min: 2, max: 2, describe: 'exactly (anchor, positive) input columns (it mines each anchor\'s hardest negative from the other positives)',
    });
    rejectLabels(this.name, data);
  }

  checkModel(): void {}

  configDict(): Record<string, unknown> {
    return {
      positive_margin: this.positiveMargin, negative_margin: this.negativeMargin, mini_batch_size: this.miniBatchSize,
      mini_batch_num_tokens: null,
    };
  }
}
