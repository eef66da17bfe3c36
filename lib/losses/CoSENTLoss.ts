import type { LossSpec, PairwiseSimilarity } from '../binding/AddonTypes';
import { requireInputColumns, requireLabels } from './dataRequirements';
import { checkChoice, checkFinite, PAIRWISE_SIMILARITIES, pairwiseSimilarityName, readPairwiseSimilarity } from './distanceMetrics';
import type { Loss, LossData } from './Loss';
import type { LossOptions } from './LossOptions';

export interface CoSENTLossOptions {
  /** Multiplier of the scores before the exponent (sentence-transformers' default 20). */
  scale?: number;
  /** util.pairwise_*: 'cosine' (pairwise_cos_sim, the default), 'dot', 'euclidean', 'manhattan', 'angle'. */
  similarity?: PairwiseSimilarity;
}

/**
 * (sentence_A, sentence_B) pairs with a float score: for every two pairs whose scores are ordered, the
 * lower-scored pair should have the lower similarity; log(1 + sum exp(scale * (s_low - s_high))).
 */
export class CoSENTLoss implements Loss {
  readonly name = 'CoSENTLoss';
  readonly scale: number;
  readonly similarity: PairwiseSimilarity;

  constructor(options: CoSENTLossOptions = {}) {
    this.scale = checkFinite(this.name, 'scale', options.scale ?? 20);
    this.similarity = checkChoice(this.name, 'similarity_fct', options.similarity ?? 'cosine', PAIRWISE_SIMILARITIES);
  }

  static fromConfig(o: LossOptions): CoSENTLoss {
    return new CoSENTLoss({ scale: o.number('scale', 20), similarity: readPairwiseSimilarity(o) });
  }

  toSpec(): LossSpec {
    return { name: this.name, scale: this.scale, similarity: this.similarity };
  }

  checkData(data: LossData): void {
    requireInputColumns(this.name, data, { min: 2, max: 2, describe: '(sentence_A, sentence_B) input columns (plus a score)' });
    requireLabels(this.name, data, 'score');
  }

  checkModel(): void {}

  configDict(): Record<string, unknown> {
    return { scale: this.scale, similarity_fct: pairwiseSimilarityName(this.similarity) };
  }
}
