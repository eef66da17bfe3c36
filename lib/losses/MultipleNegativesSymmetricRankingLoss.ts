import type { LossOptions } from './LossOptions';
import { RankingLoss, SYMMETRIC_INTERACTION, rankingOptionsFromConfig, type RankingLossOptions } from './RankingLoss';

/**
 * MultipleNegativesRankingLoss in both directions: anchors rank positives, and positives rank the
 * batch's anchors; the two cross-entropies are averaged (sentence-transformers 6: MultipleNegativesRankingLoss
 * with directions query_to_doc and doc_to_query, partition_mode per_direction).
 */
export class MultipleNegativesSymmetricRankingLoss extends RankingLoss {
  constructor(options: RankingLossOptions = {}) {
    super('MultipleNegativesSymmetricRankingLoss', options, SYMMETRIC_INTERACTION);
  }

  static fromConfig(o: LossOptions): MultipleNegativesSymmetricRankingLoss {
    return new MultipleNegativesSymmetricRankingLoss(rankingOptionsFromConfig(o));
  }
}
