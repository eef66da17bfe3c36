import type { LossSpec, SiameseDistanceMetric } from '../binding/AddonTypes';
import { checkBinaryPairData } from './ContrastiveLoss';
import { checkChoice, checkFinite, readSiameseDistanceMetric, SIAMESE_DISTANCE_METRICS, siameseDistanceMetricName } from './distanceMetrics';
import type { Loss, LossData } from './Loss';
import type { LossOptions } from './LossOptions';

export interface OnlineContrastiveLossOptions {
  /** SiameseDistanceMetric: 'cosine_distance' (sentence-transformers' default), 'euclidean' or 'manhattan'. */
  distanceMetric?: SiameseDistanceMetric;
  /** Negative pairs closer than this are pushed apart (default 0.5). */
  margin?: number;
}

/**
 * ContrastiveLoss over the batch's hard pairs only: positives farther apart than the closest negative,
 * negatives closer than the farthest positive; summed, not averaged.
 */
export class OnlineContrastiveLoss implements Loss {
  readonly name = 'OnlineContrastiveLoss';
  readonly distanceMetric: SiameseDistanceMetric;
  readonly margin: number;

  constructor(options: OnlineContrastiveLossOptions = {}) {
    this.distanceMetric = checkChoice(this.name, 'distance_metric', options.distanceMetric ?? 'cosine_distance', SIAMESE_DISTANCE_METRICS);
    this.margin = checkFinite(this.name, 'margin', options.margin ?? 0.5);
  }

  static fromConfig(o: LossOptions): OnlineContrastiveLoss {
    return new OnlineContrastiveLoss({ distanceMetric: readSiameseDistanceMetric(o), margin: o.number('margin', 0.5) });
  }

  toSpec(): LossSpec {
    return { name: this.name, distanceMetric: this.distanceMetric, margin: this.margin };
  }

  checkData(data: LossData): void {
    checkBinaryPairData(this.name, data);
  }

  checkModel(): void {}

  configDict(): Record<string, unknown> {
    return { distance_metric: siameseDistanceMetricName(this.distanceMetric), margin: this.margin };
  }
}
