import type { LossSpec } from '../binding/AddonTypes';
import type { Loss } from './Loss';

export interface MatryoshkaOptions {
  /** Embedding widths to train, largest first as the tutorials write them (e.g. 768, 512, 256, 128, 64). */
  matryoshkaDims: number[];
  /** One weight per dim; default 1 each. */
  matryoshkaWeights?: number[];
}

/**
 * Trains the leading dims of the embedding to work on their own: the inner loss is applied to the
 * embeddings truncated to each dim and the weighted losses are summed.
 */
export class MatryoshkaLoss implements Loss {
  readonly name = 'MatryoshkaLoss';
  readonly dims: number[];
  readonly weights: number[];

  constructor(readonly inner: Loss, options: MatryoshkaOptions) {
    const dims = options.matryoshkaDims;
    if (!Array.isArray(dims) || dims.length === 0 || dims.some((d) => !Number.isInteger(d) || d <= 0)) {
      throw new Error(`MatryoshkaLoss: matryoshka_dims must be a non-empty list of positive integers, got ${JSON.stringify(dims)}`);
    }
    const weights = options.matryoshkaWeights ?? dims.map(() => 1);
    if (weights.length !== dims.length || weights.some((w) => !Number.isFinite(w))) {
      throw new Error(`MatryoshkaLoss: matryoshka_weights ${JSON.stringify(weights)} must hold one number per dim of ${JSON.stringify(dims)}`);
    }
    if (inner instanceof MatryoshkaLoss) throw new Error('MatryoshkaLoss cannot wrap another MatryoshkaLoss');
    this.dims = [...dims];
    this.weights = [...weights];
  }

  /** Throws when a dim exceeds the model's embedding width. */
  checkEmbeddingDim(embeddingDim: number): void {
    const tooWide = this.dims.filter((d) => d > embeddingDim);
    if (tooWide.length) {
      throw new Error(`MatryoshkaLoss: matryoshka_dims ${JSON.stringify(tooWide)} exceed the model's embedding dimension ${embeddingDim}`);
    }
  }

  toSpec(): LossSpec {
    return { ...this.inner.toSpec(), matryoshka: { dims: this.dims, weights: this.weights } };
  }

  checkInputColumns(columns: string[]): void {
    this.inner.checkInputColumns(columns);
  }

  configDict(): Record<string, unknown> {
    return { loss: this.inner.name, matryoshka_dims: this.dims, matryoshka_weights: this.weights, n_dims_per_step: -1 };
  }
}
