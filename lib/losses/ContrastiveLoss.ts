import type { LossSpec, SiameseDistanceMetric } from '../binding/AddonTypes';
import { requireInputColumns, requireLabels } from './dataRequirements';
import { checkChoice, checkFinite, readSiameseDistanceMetric, SIAMESE_DISTANCE_METRICS, siameseDistanceMetricName } from './distanceMetrics';
import type { Loss, LossData } from './Loss';
import type { LossOptions } from './LossOptions';

export interface ContrastiveLossOptions {
  /** SiameseDistanceMetric: 'cosine_distance' (sentence-transformers' default), 'euclidean' or 'manhattan'. */
  distanceMetric?: SiameseDistanceMetric;
  /** Pairs labelled 0 closer than this are pushed apart (default 0.5). */
  margin?: number;
  /** Average over the batch (default true) or sum. */
  sizeAverage?: boolean;
}

/** (sentence_A, sentence_B) pairs with a 1/0 label, as ContrastiveLoss and OnlineContrastiveLoss take them. */
export function checkBinaryPairData(lossName: string, data: LossData): void {
  requireInputColumns(lossName, data, { min: 2, max: 2, describe: '(sentence_A, sentence_B) input columns (plus a 1/0 label)' });
  requireLabels(lossName, data, 'binary');
}

/** Pairs labelled 1 are pulled together (d^2), pairs labelled 0 pushed to at least margin apart (max(margin - d, 0)^2), halved. */
export class ContrastiveLoss implements Loss {
  readonly name = 'ContrastiveLoss';
  readonly distanceMetric: SiameseDistanceMetric;
  readonly margin: number;
  readonly sizeAverage: boolean;

  constructor(options: ContrastiveLossOptions = {}) {
    this.distanceMetric = checkChoice(this.name, 'distance_metric', options.distanceMetric ?? 'cosine_distance', SIAMESE_DISTANCE_METRICS);
    this.margin = checkFinite(this.name, 'margin', options.margin ?? 0.5);
    this.sizeAverage = options.sizeAverage ?? true;
  }

  static fromConfig(o: LossOptions): ContrastiveLoss {
    return new ContrastiveLoss({
      distanceMetric: readSiameseDistanceMetric(o), margin: o.number('margin', 0.5), sizeAverage: o.boolean('size_average', true),
    });
  }

  toSpec(): LossSpec {
    return { name: this.name, distanceMetric: this.distanceMetric, margin: this.margin, sizeAverage: this.sizeAverage };
  }

  checkData(data: LossData): void {
    checkBinaryPairData(this.name, data);
  }

  checkModel(): void {}

  configDict(): Record<string, unknown> {
    return { distance_metric: siameseDistanceMetricName(this.distanceMetric), margin: this.margin, size_average: this.sizeAverage };
  }
}
