import type { BatchDistanceMetric, LossSpec } from '../binding/AddonTypes';
import { batchTripletOptions, batchTripletOptionsFromConfig, checkClassLabelData, type BatchTripletLossOptions } from './BatchHardTripletLoss';
import { batchDistanceMetricName } from './distanceMetrics';
import type { Loss, LossData } from './Loss';
import type { LossOptions } from './LossOptions';

/**
 * Every valid triplet of the batch (anchor, same-class positive, other-class negative) from class
 * labels; hinge with margin, averaged over the triplets that still violate it.
 */
export class BatchAllTripletLoss implements Loss {
  readonly name = 'BatchAllTripletLoss';
  readonly distanceMetric: BatchDistanceMetric;
  readonly margin: number;

  constructor(options: BatchTripletLossOptions = {}) {
    ({ distanceMetric: this.distanceMetric, margin: this.margin } = batchTripletOptions(this.name, options));
  }

  static fromConfig(o: LossOptions): BatchAllTripletLoss {
    return new BatchAllTripletLoss(batchTripletOptionsFromConfig(o));
  }

  toSpec(): LossSpec {
    return { name: this.name, distanceMetric: this.distanceMetric, margin: this.margin };
  }

  checkData(data: LossData): void {
    checkClassLabelData(this.name, data);
  }

  checkModel(): void {}

  configDict(): Record<string, unknown> {
    return { distance_metric: batchDistanceMetricName(this.distanceMetric), margin: this.margin };
  }
}
