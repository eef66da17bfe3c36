import { CachedRankingLoss, cachedRankingOptionsFromConfig, type CachedMultipleNegativesRankingLossOptions } from './CachedRankingLoss';
import type { LossOptions } from './LossOptions';
import { rankingInteractionFromConfig } from './RankingLoss';

/**
 * MultipleNegativesRankingLoss with GradCache (Gao et al. 2021): the same loss and gradients, with the
 * encoder run in mini-batches inside the engine call, so large batches (many in-batch negatives) fit
 * in the memory of a small one. About twice the compute of MultipleNegativesRankingLoss. Takes the same
 * directions, partitionMode, hardnessMode and hardnessStrength.
 */
export class CachedMultipleNegativesRankingLoss extends CachedRankingLoss {
  constructor(options: CachedMultipleNegativesRankingLossOptions = {}) {
    super('CachedMultipleNegativesRankingLoss', options, options);
  }

  static fromConfig(o: LossOptions): CachedMultipleNegativesRankingLoss {
    return new CachedMultipleNegativesRankingLoss({ ...cachedRankingOptionsFromConfig(o), ...rankingInteractionFromConfig(o) });
  }
}
