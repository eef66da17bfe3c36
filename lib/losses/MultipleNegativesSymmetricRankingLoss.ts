import { MultipleNegativesRankingLoss } from './MultipleNegativesRankingLoss';

/**
 * MultipleNegativesRankingLoss in both directions: anchors rank positives, and positives rank the
 * batch's anchors; the two cross-entropies are averaged.
 */
export class MultipleNegativesSymmetricRankingLoss extends MultipleNegativesRankingLoss {
  readonly name: string = 'MultipleNegativesSymmetricRankingLoss';
}
