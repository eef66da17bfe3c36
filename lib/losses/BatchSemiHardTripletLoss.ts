import { BatchTripletLoss, batchTripletOptionsFromConfig, type BatchTripletLossOptions } from './BatchTripletLoss';
import type { LossOptions } from './LossOptions';

/**
 * FaceNet's semi-hard triplets from class labels: for each same-class pair, the nearest other-class
 * sentence farther than the positive (else the farthest one); hinge with margin, averaged over the pairs.
 */
export class BatchSemiHardTripletLoss extends BatchTripletLoss {
  constructor(options: BatchTripletLossOptions = {}) {
    super('BatchSemiHardTripletLoss', options);
  }

  static fromConfig(o: LossOptions): BatchSemiHardTripletLoss {
    return new BatchSemiHardTripletLoss(batchTripletOptionsFromConfig(o));
  }
}
