import type { LossSpec, SimilarityFunction } from '../binding/AddonTypes';
import type { Loss, LossData } from './Loss';
import type { LossOptions } from './LossOptions';
import { checkRankingData, rankingOptions, rankingOptionsFromConfig, type RankingLossOptions } from './RankingLoss';

export interface CachedRankingLossOptions extends RankingLossOptions {
  /** Texts per encoder forward (and anchor rows per loss chunk); sentence-transformers' default 32. Bounds the
   *  memory, not the batch: the in-batch negatives are the whole per_device_train_batch_size. */
  miniBatchSize?: number;
}

export function miniBatchSize(lossName: string, value: number | undefined, fallback: number): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${lossName}: mini_batch_size must be a positive integer, got ${value}`);
  return n;
}

export function cachedRankingOptionsFromConfig(o: LossOptions): CachedRankingLossOptions {
  return { ...rankingOptionsFromConfig(o), miniBatchSize: o.integer('mini_batch_size', 32) };
}

type CachedRankingLossName = 'CachedMultipleNegativesRankingLoss' | 'CachedMultipleNegativesSymmetricRankingLoss';

/**
 * What the two GradCache ranking losses share: the ranking losses' data and options plus mini_batch_size.
 * sentence-transformers 6 describes both as MultipleNegativesRankingLoss with interaction `directions`:
 * their config dicts differ only there.
 */
export abstract class CachedRankingLoss implements Loss {
  readonly scale: number;
  readonly similarity: SimilarityFunction;
  readonly miniBatchSize: number;

  protected constructor(readonly name: CachedRankingLossName, options: CachedRankingLossOptions,
    private readonly directions: { directions: string[]; partition_mode: string }) {
    ({ scale: this.scale, similarity: this.similarity } = rankingOptions(name, options));
    this.miniBatchSize = miniBatchSize(name, options.miniBatchSize, 32);
  }

  toSpec(): LossSpec {
    return { name: this.name, scale: this.scale, similarity: this.similarity, miniBatchSize: this.miniBatchSize };
  }

  checkData(data: LossData): void {
    checkRankingData(this.name, data);
  }

  checkModel(): void {}

  /** sentence-transformers 6's get_config_dict, with the options embedforge does not offer at their defaults. */
  configDict(): Record<string, unknown> {
    return {
      scale: this.scale, similarity_fct: this.similarity === 'cosine' ? 'cos_sim' : 'dot_score', mini_batch_size: this.miniBatchSize,
      mini_batch_num_tokens: null, gather_across_devices: false, ...this.directions, hardness_mode: null, hardness_strength: 0,
    };
  }
}
