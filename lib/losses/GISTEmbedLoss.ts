import type { LossSpec } from '../binding/AddonTypes';
import { checkGistData, gistConfigDict, gistOptionsFromConfig, gistSpec, resolveGistOptions, type GistOptions, type ResolvedGistOptions } from './gistGuide';
import type { Loss, LossData, LossModel } from './Loss';
import type { LossOptions } from './LossOptions';

/**
 * GISTEmbedLoss (Solatorio 2024): MultipleNegativesRankingLoss-style cross-entropy over the anchor's
 * similarities to the batch's positives, anchors, positives-to-positives and negatives, where every
 * candidate that a frozen guide model rates above the anchor's own positive (less a margin) is masked
 * as a likely false negative. The guide must share the model's tokenizer (gistGuide.ts).
 */
export class GISTEmbedLoss implements Loss {
  readonly name = 'GISTEmbedLoss';
  readonly options: ResolvedGistOptions;

  constructor(options: GistOptions) {
    this.options = resolveGistOptions(this.name, options);
  }

  static fromConfig(o: LossOptions): GISTEmbedLoss {
    return new GISTEmbedLoss(gistOptionsFromConfig(o));
  }

  toSpec(): LossSpec {
    return { name: this.name, ...gistSpec(this.options) };
  }

  checkData(data: LossData): void {
    checkGistData(this.name, data, 3);
  }

  checkModel(_embeddingDim: number, model?: LossModel): void {
    if (model) this.options.guide.check(this.name, model);
  }

  configDict(): Record<string, unknown> {
    return gistConfigDict(this.options);
  }
}
