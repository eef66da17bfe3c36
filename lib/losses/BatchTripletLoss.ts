import type { BatchDistanceMetric, LossSpec } from '../binding/AddonTypes';
import { requireInputColumns, requireLabels } from './dataRequirements';
import { BATCH_DISTANCE_METRICS, batchDistanceMetricName, checkChoice, checkFinite, readBatchDistanceMetric } from './distanceMetrics';
import type { Loss, LossData } from './Loss';
import type { LossOptions } from './LossOptions';

export interface BatchTripletLossOptions {
  /** BatchHardTripletLossDistanceFunction: 'euclidean_distance' (sentence-transformers' default) or 'cosine_distance'. */
  distanceMetric?: BatchDistanceMetric;
  /** The margin of the hinge (default 5). */
  margin?: number;
}

/** The options the batch triplet losses share, with sentence-transformers' defaults. */
export function batchTripletOptions(lossName: string, options: BatchTripletLossOptions): Required<BatchTripletLossOptions> {
  return {
    distanceMetric: checkChoice(lossName, 'distance_metric', options.distanceMetric ?? 'euclidean_distance', BATCH_DISTANCE_METRICS),
    margin: checkFinite(lossName, 'margin', options.margin ?? 5),
  };
}

export const batchTripletOptionsFromConfig = (o: LossOptions): BatchTripletLossOptions => ({
  distanceMetric: readBatchDistanceMetric(o),
  margin: o.number('margin', 5),
});

/** Single sentences, each with an integer class label. */
export function checkClassLabelData(lossName: string, data: LossData): void {
  requireInputColumns(lossName, data, { min: 1, max: 1, describe: 'one sentence input column (plus a class label)' });
  requireLabels(lossName, data, 'class');
}

type BatchTripletLossName = 'BatchAllTripletLoss' | 'BatchHardTripletLoss' | 'BatchSemiHardTripletLoss';

/**
 * What BatchAllTripletLoss, BatchHardTripletLoss and BatchSemiHardTripletLoss share: one sentence column
 * with integer class labels, a distance metric and a margin; the engine tells them apart by name (how
 * each mines its triplets).
 */
export abstract class BatchTripletLoss implements Loss {
  readonly distanceMetric: BatchDistanceMetric;
  readonly margin: number;

  protected constructor(readonly name: BatchTripletLossName, options: BatchTripletLossOptions) {
    ({ distanceMetric: this.distanceMetric, margin: this.margin } = batchTripletOptions(name, options));
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
