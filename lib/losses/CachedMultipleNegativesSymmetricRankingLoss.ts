import type { LossSpec, SimilarityFunction } from '../binding/AddonTypes';
import { miniBatchSize, type CachedRankingLossOptions } from './CachedMultipleNegativesRankingLoss';
import type { Loss, LossData } from './Loss';
import type { LossOptions } from './LossOptions';
import { checkRankingData, rankingOptions, rankingOptionsFromConfig } from './MultipleNegativesRankingLoss';

/**
 * MultipleNegativesSymmetricRankingLoss with GradCache: anchors rank the candidates and positives rank
 * the anchors, one softmax each, averaged; the encoder runs in mini-batches inside the engine call.
 */
export class CachedMultipleNegativesSymmetricRankingLoss implements Loss {
  readonly name = 'CachedMultipleNegativesSymmetricRankingLoss';
  readonly scale: number;
  readonly similarity: SimilarityFunction;
  readonly miniBatchSize: number;

  constructor(options: CachedRankingLossOptions = {}) {
    ({ scale: this.scale, similarity: this.similarity } = rankingOptions(this.name, options));
    this.miniBatchSize = miniBatchSize(this.name, options.miniBatchSize, 32);
  }

  static fromConfig(o: LossOptions): CachedMultipleNegativesSymmetricRankingLoss {
    return new CachedMultipleNegativesSymmetricRankingLoss({ ...rankingOptionsFromConfig(o), miniBatchSize: o.integer('mini_batch_size', 32) });
  }

  toSpec(): LossSpec {
    return { name: this.name, scale: this.scale, similarity: this.similarity, miniBatchSize: this.miniBatchSize };
  }

  checkData(data: LossData): void {
    checkRankingData(this.name, data);
  }

  checkModel(): void {}

  /** sentence-transformers 6's get_config_dict (CachedMultipleNegativesRankingLoss' with both directions). */
  configDict(): Record<string, unknown> {
    return {
      scale: this.scale, similarity_fct: this.similarity === 'cosine' ? 'cos_sim' : 'dot_score', mini_batch_size: this.miniBatchSize,
      mini_batch_num_tokens: null, gather_across_devices: false, directions: ['query_to_doc', 'doc_to_query'],
      partition_mode: 'per_direction', hardness_mode: null, hardness_strength: 0,
    };
  }
}
