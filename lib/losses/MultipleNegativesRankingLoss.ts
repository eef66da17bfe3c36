import type { LossSpec, SimilarityFunction } from '../binding/AddonTypes';
import { checkAnchorPositiveColumns, type Loss } from './Loss';

export interface RankingLossOptions {
  /** Multiplier of the similarity scores before the softmax (sentence-transformers' default 20). */
  scale?: number;
  /** 'cosine' (sentence-transformers' cos_sim, the default) or 'dot'. */
  similarity?: SimilarityFunction;
}

/**
 * In-batch negatives: each anchor must rank its own positive above every other positive (and every
 * hard negative from extra columns) of the batch; cross-entropy over the scaled similarity row.
 */
export class MultipleNegativesRankingLoss implements Loss {
  readonly name: string = 'MultipleNegativesRankingLoss';
  readonly scale: number;
  readonly similarity: SimilarityFunction;

  constructor(options: RankingLossOptions = {}) {
    this.scale = options.scale ?? 20;
    this.similarity = options.similarity ?? 'cosine';
    if (!(this.scale > 0) || !Number.isFinite(this.scale)) throw new Error(`${this.name}: scale must be a positive number, got ${options.scale}`);
  }

  toSpec(): LossSpec {
    return { name: this.name as LossSpec['name'], scale: this.scale, similarity: this.similarity };
  }

  checkInputColumns(columns: string[]): void {
    checkAnchorPositiveColumns(this.name, columns);
  }

  configDict(): Record<string, unknown> {
    return { scale: this.scale, similarity_fct: this.similarity === 'cosine' ? 'cos_sim' : 'dot_score' };
  }
}
