import type { LossSpec, SimilarityFunction } from '../binding/AddonTypes';
import { rejectLabels, requireInputColumns } from './dataRequirements';
import type { Loss, LossData } from './Loss';
import type { LossOptions } from './LossOptions';
import { rankingOptions, rankingOptionsFromConfig, type RankingLossOptions } from './RankingLoss';

/**
 * Contrastive Tension with in-batch negatives: the loss owns model1, a copy of the model taken when training
 * starts and trained with it; model1 and the model (model2, the one saved) embed the same sentences, and a
 * symmetric cross-entropy over the scaled similarity matrix makes each sentence's two embeddings match each
 * other among the batch. The scale is a learnable parameter of the loss (exp(logit_scale), starting at
 * `scale`), trained with model1 and kept with it in checkpoints' training state.
 * Data: one column of sentences (a second column is accepted when it repeats the first); no labels.
 */
export class ContrastiveTensionLossInBatchNegatives implements Loss {
  readonly name = 'ContrastiveTensionLossInBatchNegatives';
  /** The scale at the start of training (sentence-transformers' default 20). */
  readonly scale: number;
  readonly similarity: SimilarityFunction;

  constructor(options: RankingLossOptions = {}) {
    ({ scale: this.scale, similarity: this.similarity } = rankingOptions(this.name, options));
  }

  static fromConfig(o: LossOptions): ContrastiveTensionLossInBatchNegatives {
    return new ContrastiveTensionLossInBatchNegatives(rankingOptionsFromConfig(o));
  }

  toSpec(): LossSpec {
    return { name: this.name, scale: this.scale, similarity: this.similarity };
  }

  checkData(data: LossData): void {
    requireInputColumns(this.name, data, {
      min: 1, max: 2, describe: 'single sentences, 1 input column (or (anchor, anchor) pairs whose second column repeats the first)',
    });
    rejectLabels(this.name, data);
  }

  checkModel(): void {}

  /** As sentence-transformers' get_config_dict before training (it reports the learned scale after). */
  configDict(): Record<string, unknown> {
    return { scale: this.scale, similarity_fct: this.similarity === 'cosine' ? 'cos_sim' : 'dot_score' };
  }
}
