import type { LossSpec, SimilarityFunction } from '../binding/AddonTypes';
import type { Loss, LossData } from './Loss';
import type { LossOptions } from './LossOptions';
import {
  checkRankingData, rankingInteraction, rankingInteractionConfig, rankingOptions, rankingOptionsFromConfig,
  type RankingInteraction, type RankingInteractionOptions, type RankingLossOptions,
} from './RankingLoss';

export interface CachedRankingLossOptions extends RankingLossOptions {
  /** Texts per encoder forward (and anchor rows per loss chunk); sentence-transformers' default 32. Bounds the
   *  memory, not the batch: the in-batch negatives are the whole per_device_train_batch_size. */
  miniBatchSize?: number;
  /** When set, the encoder's mini-batches are packed by token count instead (as many consecutive texts as fit in
   *  this many tokens, at least one); the loss chunks stay miniBatchSize rows. Default null. */
  miniBatchNumTokens?: number | null;
}

export type CachedMultipleNegativesRankingLossOptions = CachedRankingLossOptions & RankingInteractionOptions;

export function miniBatchSize(lossName: string, value: number | undefined, fallback: number): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${lossName}: mini_batch_size must be a positive integer, got ${value}`);
  return n;
}

export function miniBatchNumTokens(lossName: string, value: number | null | undefined): number | null {
  if (value === undefined || value === null) return null;
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${lossName}: mini_batch_num_tokens must be a positive integer or null, got ${value}`);
  return value;
}

export function cachedRankingOptionsFromConfig(o: LossOptions): CachedRankingLossOptions {
  const numTokens = o.number('mini_batch_num_tokens', Number.NaN);
  return {
    ...rankingOptionsFromConfig(o), miniBatchSize: o.integer('mini_batch_size', 32),
    miniBatchNumTokens: Number.isNaN(numTokens) ? null : numTokens,
  };
}

type CachedRankingLossName = 'CachedMultipleNegativesRankingLoss' | 'CachedMultipleNegativesSymmetricRankingLoss';

/**
 * What the two GradCache ranking losses share: the ranking losses' data and options plus mini_batch_size and
 * mini_batch_num_tokens. sentence-transformers 6 describes both as MultipleNegativesRankingLoss with an
 * interaction (directions, partition, hardness), fixed for the symmetric one.
 */
export abstract class CachedRankingLoss implements Loss {
  readonly scale: number;
  readonly similarity: SimilarityFunction;
  readonly miniBatchSize: number;
  readonly miniBatchNumTokens: number | null;
  readonly interaction: RankingInteraction;

  protected constructor(readonly name: CachedRankingLossName, options: CachedRankingLossOptions, interaction: RankingInteractionOptions) {
    ({ scale: this.scale, similarity: this.similarity } = rankingOptions(name, options));
    this.miniBatchSize = miniBatchSize(name, options.miniBatchSize, 32);
    this.miniBatchNumTokens = miniBatchNumTokens(name, options.miniBatchNumTokens);
    this.interaction = rankingInteraction(name, interaction);
  }

  toSpec(): LossSpec {
    const numTokens = this.miniBatchNumTokens === null ? {} : { miniBatchNumTokens: this.miniBatchNumTokens };
    const base = { scale: this.scale, similarity: this.similarity, miniBatchSize: this.miniBatchSize, ...numTokens };
    if (this.name === 'CachedMultipleNegativesSymmetricRankingLoss') return { name: this.name, ...base };
    return { name: this.name, ...base, ...this.interaction };
  }

  checkData(data: LossData): void {
    checkRankingData(this.name, data);
  }

  checkModel(): void {}

  /** sentence-transformers 6's get_config_dict. */
  configDict(): Record<string, unknown> {
    return {
      scale: this.scale, similarity_fct: this.similarity === 'cosine' ? 'cos_sim' : 'dot_score', mini_batch_size: this.miniBatchSize,
      mini_batch_num_tokens: this.miniBatchNumTokens, ...rankingInteractionConfig(this.interaction),
    };
  }
}
