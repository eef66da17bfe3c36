export type { Loss, LossData } from './Loss';
export { LossOptions, type LossConfig } from './LossOptions';
export { lossFromConfig, lossNames } from './lossRegistry';
export { MultipleNegativesRankingLoss, type RankingLossOptions } from './MultipleNegativesRankingLoss';
export { MultipleNegativesSymmetricRankingLoss } from './MultipleNegativesSymmetricRankingLoss';
export { CachedMultipleNegativesRankingLoss, type CachedRankingLossOptions } from './CachedMultipleNegativesRankingLoss';
export { CachedMultipleNegativesSymmetricRankingLoss } from './CachedMultipleNegativesSymmetricRankingLoss';
export { MegaBatchMarginLoss, type MegaBatchMarginOptions } from './MegaBatchMarginLoss';
export { MatryoshkaLoss, type MatryoshkaOptions } from './MatryoshkaLoss';
