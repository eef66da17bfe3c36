import type { LossSpec } from '../binding/AddonTypes';
import { miniBatchSize } from './CachedRankingLoss';
import { checkGistData, gistConfigDict, gistOptionsFromConfig, gistSpec, resolveGistOptions, type GistOptions, type ResolvedGistOptions } from './gistGuide';
import type { Loss, LossData, LossModel } from './Loss';
import type { LossOptions } from './LossOptions';

export interface CachedGistOptions extends GistOptions {
  /** Texts per encoder (and guide) forward and anchor rows per loss chunk; sentence-transformers' default 32. */
  miniBatchSize?: number;
}

/**
 * GISTEmbedLoss with GradCache: the same guided loss, with the model and the guide run in mini-batches
 * inside the engine call, so large batches fit in the memory of a small one. Any number of negative columns.
 */
export class CachedGISTEmbedLoss implements Loss {
  readonly name = 'CachedGISTEmbedLoss';
  readonly options: ResolvedGistOptions;
  readonly miniBatchSize: number;

  constructor(options: CachedGistOptions) {
    this.options = resolveGistOptions(this.name, options);
    this.miniBatchSize = miniBatchSize(this.name, options.miniBatchSize, 32);
  }

  static fromConfig(o: LossOptions): CachedGISTEmbedLoss {
    return new CachedGISTEmbedLoss({ ...gistOptionsFromConfig(o), miniBatchSize: o.integer('mini_batch_size', 32) });
  }

  toSpec(): LossSpec {
    return { name: this.name, miniBatchSize: this.miniBatchSize, ...gistSpec(this.options) };
  }

  checkData(data: LossData): void {
    checkGistData(this.name, data);
  }

  checkModel(_embeddingDim: number, model?: LossModel): void {
    if (model) this.options.guide.check(this.name, model);
  }

  configDict(): Record<string, unknown> {
    const { guide, temperature, ...rest } = gistConfigDict(this.options);
    return { guide, temperature, mini_batch_size: this.miniBatchSize, mini_batch_num_tokens: null, ...rest };
  }
}
