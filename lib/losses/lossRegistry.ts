/**
 * Every loss by its sentence-transformers class name, built from a config ({name, ...options}, snake_case
 * or camelCase). A new loss is a new file plus one line here.
 */
import type { Loss } from './Loss';
import { LossOptions, type LossConfig } from './LossOptions';
import { MatryoshkaLoss } from './MatryoshkaLoss';
import { SoftmaxLoss } from './SoftmaxLoss';
import { AdaptiveLayerLoss } from './AdaptiveLayerLoss';
import { Matryoshka2dLoss } from './Matryoshka2dLoss';
import { MultipleNegativesRankingLoss } from './MultipleNegativesRankingLoss';
import { MultipleNegativesSymmetricRankingLoss } from './MultipleNegativesSymmetricRankingLoss';
import { CachedMultipleNegativesRankingLoss } from './CachedMultipleNegativesRankingLoss';
import { CachedMultipleNegativesSymmetricRankingLoss } from './CachedMultipleNegativesSymmetricRankingLoss';
import { GISTEmbedLoss } from './GISTEmbedLoss';
import { CachedGISTEmbedLoss } from './CachedGISTEmbedLoss';
import { MegaBatchMarginLoss } from './MegaBatchMarginLoss';
import { BatchAllTripletLoss } from './BatchAllTripletLoss';
import { BatchHardTripletLoss } from './BatchHardTripletLoss';
import { BatchHardSoftMarginTripletLoss } from './BatchHardSoftMarginTripletLoss';
import { BatchSemiHardTripletLoss } from './BatchSemiHardTripletLoss';
import { TripletLoss } from './TripletLoss';
import { ContrastiveLoss } from './ContrastiveLoss';
import { OnlineContrastiveLoss } from './OnlineContrastiveLoss';
import { CosineSimilarityLoss } from './CosineSimilarityLoss';
import { CoSENTLoss } from './CoSENTLoss';
import { AnglELoss } from './AnglELoss';
import { ContrastiveTensionLoss } from './ContrastiveTensionLoss';
import { ContrastiveTensionLossInBatchNegatives } from './ContrastiveTensionLossInBatchNegatives';
import { DenoisingAutoEncoderLoss } from './DenoisingAutoEncoderLoss';

const LOSSES: Record<string, (options: LossOptions) => Loss> = {
  MultipleNegativesRankingLoss: MultipleNegativesRankingLoss.fromConfig,
  MultipleNegativesSymmetricRankingLoss: MultipleNegativesSymmetricRankingLoss.fromConfig,
  CachedMultipleNegativesRankingLoss: CachedMultipleNegativesRankingLoss.fromConfig,
  CachedMultipleNegativesSymmetricRankingLoss: CachedMultipleNegativesSymmetricRankingLoss.fromConfig,
  GISTEmbedLoss: GISTEmbedLoss.fromConfig,
  CachedGISTEmbedLoss: CachedGISTEmbedLoss.fromConfig,
  MegaBatchMarginLoss: MegaBatchMarginLoss.fromConfig,
  MatryoshkaLoss: MatryoshkaLoss.fromConfig,
  SoftmaxLoss: SoftmaxLoss.fromConfig,
  AdaptiveLayerLoss: AdaptiveLayerLoss.fromConfig,
  Matryoshka2dLoss: Matryoshka2dLoss.fromConfig,
  BatchAllTripletLoss: BatchAllTripletLoss.fromConfig,
  BatchHardTripletLoss: BatchHardTripletLoss.fromConfig,
  BatchHardSoftMarginTripletLoss: BatchHardSoftMarginTripletLoss.fromConfig,
  BatchSemiHardTripletLoss: BatchSemiHardTripletLoss.fromConfig,
  TripletLoss: TripletLoss.fromConfig,
  ContrastiveLoss: ContrastiveLoss.fromConfig,
  OnlineContrastiveLoss: OnlineContrastiveLoss.fromConfig,
  CosineSimilarityLoss: CosineSimilarityLoss.fromConfig,
  CoSENTLoss: CoSENTLoss.fromConfig,
  AnglELoss: AnglELoss.fromConfig,
  ContrastiveTensionLoss: ContrastiveTensionLoss.fromConfig,
  ContrastiveTensionLossInBatchNegatives: ContrastiveTensionLossInBatchNegatives.fromConfig,
  DenoisingAutoEncoderLoss: DenoisingAutoEncoderLoss.fromConfig,
};

export const lossNames = (): string[] => Object.keys(LOSSES);

/**
 * e.g. {name: "MatryoshkaLoss", matryoshka_dims: [768, 256], loss: "MultipleNegativesRankingLoss"}
 * or {name: "MultipleNegativesRankingLoss", scale: 20}, or just the name for the defaults.
 */
export function lossFromConfig(config: LossConfig): Loss {
  const raw: Record<string, unknown> = typeof config === 'string' ? { name: config } : { ...config };
  const name = String(raw.name ?? '');
  const factory = Object.prototype.hasOwnProperty.call(LOSSES, name) ? LOSSES[name] : undefined;
  if (!factory) throw new Error(`unknown loss ${JSON.stringify(name)}: embedforge has ${lossNames().join(', ')}`);
  const options = new LossOptions(name, raw, lossFromConfig);
  const loss = factory(options);
  options.done();
  return loss;
}
