import { CachedRankingLoss, cachedRankingOptionsFromConfig, type CachedRankingLossOptions } from './CachedRankingLoss';
import type { LossOptions } from './LossOptions';
import { SYMMETRIC_INTERACTION } from './RankingLoss';

/**
 * MultipleNegativesSymmetricRankingLoss with GradCache: anchors rank the candidates and positives rank
 * the anchors, one softmax each, averaged; the encoder runs in mini-batches inside the engine call.
 */
export class CachedMultipleNegativesSymmetricRankingLoss extends CachedRankingLoss {
  constructor(options: CachedRankingLossOptions = {}) {
    super('CachedMultipleNegativesSymmetricRankingLoss', options, SYMMETRIC_INTERACTION);
  }

  static fromConfig(o: LossOptions): CachedMultipleNegativesSymmetricRankingLoss {
    return new CachedMultipleNegativesSymmetricRankingLoss(cachedRankingOptionsFromConfig(o));
  }
}
