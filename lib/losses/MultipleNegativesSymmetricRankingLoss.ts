import type { LossSpec, SimilarityFunction } from '../binding/AddonTypes';
import type { Loss, LossData } from './Loss';
import type { LossOptions } from './LossOptions';
import { checkRankingData, rankingOptions, rankingOptionsFromConfig, type RankingLossOptions } from './MultipleNegativesRankingLoss';

/**
 * MultipleNegativesRankingLoss in both directions: anchors rank positives, and positives rank the
 * batch's anchors; the two cross-entropies are averaged.
 */
export class MultipleNegativesSymmetricRankingLoss implements Loss {
  readonly name = 'MultipleNegativesSymmetricRankingLoss';
  readonly scale: number;
  readonly similarity: SimilarityFunction;

  constructor(options: RankingLossOptions = {}) {
    ({ scale: this.scale, similarity: this.similarity } = rankingOptions(this.name, options));
  }

  static fromConfig(o: LossOptions): MultipleNegativesSymmetricRankingLoss {
    return new MultipleNegativesSymmetricRankingLoss(rankingOptionsFromConfig(o));
  }

  toSpec(): LossSpec {
    return { name: this.name, scale: this.scale, similarity: this.similarity };
  }

  checkData(data: LossData): void {
    checkRankingData(this.name, data);
  }

  checkModel(): void {}

  configDict(): Record<string, unknown> {
    return { scale: this.scale, similarity_fct: this.similarity === 'cosine' ? 'cos_sim' : 'dot_score' };
  }
}
