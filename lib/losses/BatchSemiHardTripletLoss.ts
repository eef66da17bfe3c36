import type { BatchDistanceMetric, LossSpec } from '../binding/AddonTypes';
import { batchTripletOptions, batchTripletOptionsFromConfig, checkClassLabelData, type BatchTripletLossOptions } from './BatchHardTripletLoss';
import { batchDistanceMetricName } from './distanceMetrics';
import type { Loss, LossData } from './Loss';
import type { LossOptions } from './LossOptions';

/**
 * FaceNet's semi-hard triplets from class labels: for each same-class pair, the nearest other-class
 * sentence farther than the positive (else the farthest one); hinge with margin, averaged over the pairs.
 */
export class BatchSemiHardTripletLoss implements Loss {
  readonly name = 'BatchSemiHardTripletLoss';
  readonly distanceMetric: BatchDistanceMetric;
  readonly margin: number;

  constructor(options: BatchTripletLossOptions = {}) {
    ({ distanceMetric: this.distanceMetric, margin: this.margin } = batchTripletOptions(this.name, options));
  }

  static fromConfig(o: LossOptions): BatchSemiHardTripletLoss {
    return new BatchSemiHardTripletLoss(batchTripletOptionsFromConfig(o));
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
