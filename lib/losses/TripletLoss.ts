import type { LossSpec, TripletDistanceMetric } from '../binding/AddonTypes';
import { rejectLabels, requireInputColumns } from './dataRequirements';
import { checkChoice, checkFinite, readTripletDistanceMetric, TRIPLET_DISTANCE_METRICS, tripletDistanceMetricName } from './distanceMetrics';
import type { Loss, LossData } from './Loss';
import type { LossOptions } from './LossOptions';

export interface TripletLossOptions {
  /** TripletDistanceMetric: 'euclidean' (sentence-transformers' default), 'cosine' or 'manhattan'. */
  distanceMetric?: TripletDistanceMetric;
  /** The anchor must be this much closer to the positive than to the negative (default 5). */
  tripletMargin?: number;
}

/** (anchor, positive, negative): max(d(a, p) - d(a, n) + triplet_margin, 0), averaged over the batch. */
export class TripletLoss implements Loss {
  readonly name = 'TripletLoss';
  readonly distanceMetric: TripletDistanceMetric;
  readonly tripletMargin: number;

  constructor(options: TripletLossOptions = {}) {
    this.distanceMetric = checkChoice(this.name, 'distance_metric', options.distanceMetric ?? 'euclidean', TRIPLET_DISTANCE_METRICS);
    this.tripletMargin = checkFinite(this.name, 'triplet_margin', options.tripletMargin ?? 5);
  }

  static fromConfig(o: LossOptions): TripletLoss {
    return new TripletLoss({ distanceMetric: readTripletDistanceMetric(o), tripletMargin: o.number('triplet_margin', 5) });
  }

  toSpec(): LossSpec {
    return { name: this.name, distanceMetric: this.distanceMetric, tripletMargin: this.tripletMargin };
  }

  checkData(data: LossData): void {
    requireInputColumns(this.name, data, { min: 3, max: 3, describe: '(anchor, positive, negative) input columns' });
    rejectLabels(this.name, data);
  }

  checkModel(): void {}

  configDict(): Record<string, unknown> {
    return { distance_metric: tripletDistanceMetricName(this.distanceMetric), triplet_margin: this.tripletMargin };
  }
}
