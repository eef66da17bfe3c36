import type { LossOptions } from './LossOptions';
import { RankingLoss, rankingOptionsFromConfig, type RankingLossOptions } from './RankingLoss';

/**
 * MultipleNegativesRankingLoss in both directions: anchors rank positives, and positives rank the
 * batch's anchors; the two cross-entropies are averaged.
 */
export class MultipleNegativesSymmetricRankingLoss extends RankingLoss {
  constructor(options: RankingLossOptions = {}) {
    super('MultipleNegativesSymmetricRankingLoss', options);
  }

  static fromConfig(o: LossOptions): MultipleNegativesSymmetricRankingLoss {
    return new MultipleNegativesSymmetricRankingLoss(rankingOptionsFromConfig(o));
  }
}
