import type { LossSpec } from '../binding/AddonTypes';
import { requireInputColumns, requireLabels } from './dataRequirements';
import { checkFinite } from './distanceMetrics';
import type { Loss, LossData } from './Loss';
import type { LossOptions } from './LossOptions';

export interface AnglELossOptions {
  /** Multiplier of the scores before the exponent (sentence-transformers' default 20). */
  scale?: number;
}

/**
 * CoSENTLoss with the angle difference of the embeddings as complex vectors (util.pairwise_angle_sim).
 * Takes (sentence_A, sentence_B) pairs with a float score, or (anchor, positive, negative...) tuples,
 * optionally with a score, which become (anchor, positive) pairs scored 1 (or the score) and
 * (anchor, negative) pairs scored 0 (or 1 - score).
 */
export class AnglELoss implements Loss {
  readonly name = 'AnglELoss';
  readonly scale: number;

  constructor(options: AnglELossOptions = {}) {
    this.scale = checkFinite(this.name, 'scale', options.scale ?? 20);
  }

  static fromConfig(o: LossOptions): AnglELoss {
    return new AnglELoss({ scale: o.number('scale', 20) });
  }

  toSpec(): LossSpec {
    return { name: this.name, scale: this.scale };
  }

  checkData(data: LossData): void {
    requireInputColumns(this.name, data, {
      min: 2, describe: '(sentence_A, sentence_B) input columns with a score, or (anchor, positive, negative...) input columns',
    });
    if (data.inputs.length === 2 || data.label !== null) requireLabels(this.name, data, 'score');
  }

  checkModel(): void {}

  configDict(): Record<string, unknown> {
    return { scale: this.scale, similarity_fct: 'pairwise_angle_sim' };
  }
}
