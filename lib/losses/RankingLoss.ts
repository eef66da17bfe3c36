import type { LossSpec, SimilarityFunction } from '../binding/AddonTypes';
import type { Loss, LossData } from './Loss';
import { rejectLabels, requireInputColumns } from './dataRequirements';
import type { LossOptions } from './LossOptions';

export interface RankingLossOptions {
  /** Multiplier of the similarity scores before the softmax (sentence-transformers' default 20). */
  scale?: number;
  /** 'cosine' (sentence-transformers' cos_sim, the default) or 'dot'. */
  similarity?: SimilarityFunction;
}

/** Reads and checks the options both ranking losses share. */
export function rankingOptions(lossName: string, options: RankingLossOptions): Required<RankingLossOptions> {
  const scale = options.scale ?? 20;
  if (!(scale > 0) || !Number.isFinite(scale)) throw new Error(`${lossName}: scale must be a positive number, got ${options.scale}`);
  return { scale, similarity: options.similarity ?? 'cosine' };
}

export function rankingOptionsFromConfig(o: LossOptions): RankingLossOptions {
  return { scale: o.number('scale', 20), similarity: o.similarity() };
}

export function checkRankingData(lossName: string, data: LossData): void {
  requireInputColumns(lossName, data, { min: 2, describe: '(anchor, positive[, negative...]) input columns' });
  rejectLabels(lossName, data);
}

type RankingLossName = 'MultipleNegativesRankingLoss' | 'MultipleNegativesSymmetricRankingLoss';

/**
 * What MultipleNegativesRankingLoss and MultipleNegativesSymmetricRankingLoss share: (anchor, positive[,
 * negative...]) columns without labels, a scale and a similarity; the engine tells them apart by name.
 */
export abstract class RankingLoss implements Loss {
  readonly scale: number;
  readonly similarity: SimilarityFunction;

  protected constructor(readonly name: RankingLossName, options: RankingLossOptions) {
    ({ scale: this.scale, similarity: this.similarity } = rankingOptions(name, options));
  }

  toSpec(): LossSpec {
    return { name: this.name, scale: this.scale, similarity: this.similarity };
  }

  checkData(data: LossData): void {
    checkRankingData(this.name, data);
  }

  checkModel(): void {}

  configDict(): Record<string, unknown> {
    return { scale: this.scale, similarity_fct: this.similarity === 'cosine' ? 'cos_sim' : 'dot_score' };
  }
}
