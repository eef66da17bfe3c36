import { BatchTripletLoss, batchTripletOptionsFromConfig, type BatchTripletLossOptions } from './BatchTripletLoss';
import type { LossOptions } from './LossOptions';

// The shared options and data check live with the base class; re-exported for the losses that use them.
export { batchTripletOptions, batchTripletOptionsFromConfig, checkClassLabelData, type BatchTripletLossOptions } from './BatchTripletLoss';

/**
 * Triplets mined within the batch from class labels: each sentence as anchor against its farthest
 * same-class sentence and its nearest other-class sentence; hinge with margin, averaged.
 */
export class BatchHardTripletLoss extends BatchTripletLoss {
  constructor(options: BatchTripletLossOptions = {}) {
    super('BatchHardTripletLoss', options);
  }

  static fromConfig(o: LossOptions): BatchHardTripletLoss {
    return new BatchHardTripletLoss(batchTripletOptionsFromConfig(o));
  }
}
