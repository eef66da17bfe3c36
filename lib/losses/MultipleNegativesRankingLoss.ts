import type { LossOptions } from './LossOptions';
import { RankingLoss, rankingOptionsFromConfig, type RankingLossOptions } from './RankingLoss';

// The shared option readers live with the base class; re-exported for the losses that build on them.
export { checkRankingData, rankingOptions, rankingOptionsFromConfig, type RankingLossOptions } from './RankingLoss';

/**
 * In-batch negatives: each anchor must rank its own positive above every other positive (and every
 * hard negative from extra columns) of the batch; cross-entropy over the scaled similarity row.
 */
export class MultipleNegativesRankingLoss extends RankingLoss {
  constructor(options: RankingLossOptions = {}) {
    super('MultipleNegativesRankingLoss', options);
  }

  static fromConfig(o: LossOptions): MultipleNegativesRankingLoss {
    return new MultipleNegativesRankingLoss(rankingOptionsFromConfig(o));
  }
}
