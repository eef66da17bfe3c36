export type { Loss } from './Loss';
export { MultipleNegativesRankingLoss, type RankingLossOptions } from './MultipleNegativesRankingLoss';
export { MultipleNegativesSymmetricRankingLoss } from './MultipleNegativesSymmetricRankingLoss';
export { MatryoshkaLoss, type MatryoshkaOptions } from './MatryoshkaLoss';
export { lossFromConfig, type LossConfig } from './lossFromConfig';
