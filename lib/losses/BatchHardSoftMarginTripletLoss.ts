import type { BatchDistanceMetric, LossSpec } from '../binding/AddonTypes';
import { checkClassLabelData } from './BatchTripletLoss';
import { BATCH_DISTANCE_METRICS, batchDistanceMetricName, checkChoice, readBatchDistanceMetric } from './distanceMetrics';
import type { Loss, LossData } from './Loss';
import type { LossOptions } from './LossOptions';

export interface BatchHardSoftMarginTripletLossOptions {
  /** BatchHardTripletLossDistanceFunction: 'euclidean_distance' (default) or 'cosine_distance'. */
  distanceMetric?: BatchDistanceMetric;
}

/** BatchHardTripletLoss with log(1 + exp(.)) in place of the hinge, so it has no margin. */
export class BatchHardSoftMarginTripletLoss implements Loss {
  readonly name = 'BatchHardSoftMarginTripletLoss';
  readonly distanceMetric: BatchDistanceMetric;

  constructor(options: BatchHardSoftMarginTripletLossOptions = {}) {
    this.distanceMetric = checkChoice(this.name, 'distance_metric', options.distanceMetric ?? 'euclidean_distance', BATCH_DISTANCE_METRICS);
  }

  static fromConfig(o: LossOptions): BatchHardSoftMarginTripletLoss {
    return new BatchHardSoftMarginTripletLoss({ distanceMetric: readBatchDistanceMetric(o) });
  }

  toSpec(): LossSpec {
    return { name: this.name, distanceMetric: this.distanceMetric };
  }

  checkData(data: LossData): void {
    checkClassLabelData(this.name, data);
  }

  checkModel(): void {}

  configDict(): Record<string, unknown> {
    return { distance_metric: batchDistanceMetricName(this.distanceMetric) };
  }
}
