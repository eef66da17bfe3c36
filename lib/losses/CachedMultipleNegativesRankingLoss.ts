import type { LossSpec, SimilarityFunction } from '../binding/AddonTypes';
import type { Loss, LossData } from './Loss';
import type { LossOptions } from './LossOptions';
import { checkRankingData, rankingOptions, rankingOptionsFromConfig, type RankingLossOptions } from './MultipleNegativesRankingLoss';

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

/**
 * MultipleNegativesRankingLoss with GradCache (Gao et al. 2021): the same loss and gradients, with the
 * encoder run in mini-batches inside the engine call, so large batches (many in-batch negatives) fit
 * in the memory of a small one. About twice the compute of MultipleNegativesRankingLoss.
 */
export class CachedMultipleNegativesRankingLoss implements Loss {
  readonly name = 'CachedMultipleNegativesRankingLoss';
  readonly scale: number;
  readonly similarity: SimilarityFunction;
  readonly miniBatchSize: number;

  constructor(options: CachedRankingLossOptions = {}) {
    ({ scale: this.scale, similarity: this.similarity } = rankingOptions(this.name, options));
    this.miniBatchSize = miniBatchSize(this.name, options.miniBatchSize, 32);
  }

  static fromConfig(o: LossOptions): CachedMultipleNegativesRankingLoss {
    return new CachedMultipleNegativesRankingLoss({ ...rankingOptionsFromConfig(o), miniBatchSize: o.integer('mini_batch_size', 32) });
  }

  toSpec(): LossSpec {
    return { name: this.name, scale: this.scale, similarity: this.similarity, miniBatchSize: this.miniBatchSize };
  }

  checkData(data: LossData): void {
    checkRankingData(this.name, data);
  }

  checkModel(): void {}

  /** sentence-transformers 6's get_config_dict, the options embedforge does not offer at their defaults. */
  configDict(): Record<string, unknown> {
    return {
      scale: this.scale, similarity_fct: this.similarity === 'cosine' ? 'cos_sim' : 'dot_score', mini_batch_size: this.miniBatchSize,
      mini_batch_num_tokens: null, gather_across_devices: false, directions: ['query_to_doc'], partition_mode: 'joint',
      hardness_mode: null, hardness_strength: 0,
    };
  }
}
