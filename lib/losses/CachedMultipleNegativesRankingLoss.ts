import { CachedRankingLoss, cachedRankingOptionsFromConfig, type CachedRankingLossOptions } from './CachedRankingLoss';
import type { LossOptions } from './LossOptions';

/**
 * MultipleNegativesRankingLoss with GradCache (Gao et al. 2021): the same loss and gradients, with the
 * encoder run in mini-batches inside the engine call, so large batches (many in-batch negatives) fit
 * in the memory of a small one. About twice the compute of MultipleNegativesRankingLoss.
 */
export class CachedMultipleNegativesRankingLoss extends CachedRankingLoss {
  constructor(options: CachedRankingLossOptions = {}) {
    super('CachedMultipleNegativesRankingLoss', options, { directions: ['query_to_doc'], partition_mode: 'joint' });
  }

  static fromConfig(o: LossOptions): CachedMultipleNegativesRankingLoss {
    return new CachedMultipleNegativesRankingLoss(cachedRankingOptionsFromConfig(o));
  }
}
