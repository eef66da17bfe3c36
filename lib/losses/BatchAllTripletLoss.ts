import { BatchTripletLoss, batchTripletOptionsFromConfig, type BatchTripletLossOptions } from './BatchTripletLoss';
import type { LossOptions } from './LossOptions';

/**
 * Every valid triplet of the batch (anchor, same-class positive, other-class negative) from class
 * labels; hinge with margin, averaged over the triplets that still violate it.
 */
export class BatchAllTripletLoss extends BatchTripletLoss {
  constructor(options: BatchTripletLossOptions = {}) {
    super('BatchAllTripletLoss', options);
  }

  static fromConfig(o: LossOptions): BatchAllTripletLoss {
    return new BatchAllTripletLoss(batchTripletOptionsFromConfig(o));
  }
}
