import type { LossOptions } from './LossOptions';
import {
  RankingLoss, rankingInteractionFromConfig, rankingOptionsFromConfig, type MultipleNegativesRankingLossOptions,
} from './RankingLoss';

// The shared option readers live with the base class; re-exported for the losses that build on them.
export {
  checkRankingData, rankingOptions, rankingOptionsFromConfig, type MultipleNegativesRankingLossOptions, type RankingInteractionOptions,
  type RankingLossOptions,
} from './RankingLoss';

/**
 * In-batch negatives: each anchor must rank its own positive above every other positive (and every
 * hard negative from extra columns) of the batch; cross-entropy over the scaled similarity row.
 * sentence-transformers 6's options widen it: `directions` add query-query, document-query and
 * document-document terms (GTE's improved contrastive loss with all four, joint), `partitionMode`
 * 'per_direction' averages one softmax per direction (symmetric InfoNCE), and `hardnessMode` with
 * `hardnessStrength` weights harder negatives up.
 */
export class MultipleNegativesRankingLoss extends RankingLoss {
  constructor(options: MultipleNegativesRankingLossOptions = {}) {
    super('MultipleNegativesRankingLoss', options, options);
  }

  static fromConfig(o: LossOptions): MultipleNegativesRankingLoss {
    return new MultipleNegativesRankingLoss({ ...rankingOptionsFromConfig(o), ...rankingInteractionFromConfig(o) });
  }
}
