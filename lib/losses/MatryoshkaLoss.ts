import type { LossSpec } from '../binding/AddonTypes';
import type { Loss, LossData } from './Loss';
import type { LossOptions } from './LossOptions';

export interface MatryoshkaOptions {
  /** Embedding widths to train, largest first as the tutorials write them (e.g. 768, 512, 256, 128, 64). */
  matryoshkaDims: number[];
  /** One weight per dim; default 1 each. */
  matryoshkaWeights?: number[];
  /** Train only a random sample of this many dims per step; -1 (the default): every dim. */
  nDimsPerStep?: number;
}

/**
 * Trains the leading dims of the embedding to work on their own: the inner loss is applied to the
 * embeddings truncated to each dim (and renormalized) and the weighted losses are summed.
 */
export class MatryoshkaLoss implements Loss {
  readonly name = 'MatryoshkaLoss';
  readonly dims: number[];
  readonly weights: number[];
  readonly nDimsPerStep: number;

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
    const nDimsPerStep = options.nDimsPerStep ?? -1;
    if (!Number.isInteger(nDimsPerStep)) throw new Error(`MatryoshkaLoss: n_dims_per_step must be an integer, got ${nDimsPerStep}`);
    this.dims = [...dims];
    this.weights = [...weights];
    this.nDimsPerStep = nDimsPerStep;
  }

  static fromConfig(o: LossOptions): MatryoshkaLoss {
    const inner = o.loss('loss', 'MultipleNegativesRankingLoss');
    return new MatryoshkaLoss(inner, {
      matryoshkaDims: o.numberList('matryoshka_dims') as number[],
      matryoshkaWeights: o.numberList('matryoshka_weights'),
      nDimsPerStep: o.integer('n_dims_per_step', -1),
    });
  }

  checkModel(embeddingDim: number): void {
    const tooWide = this.dims.filter((d) => d > embeddingDim);
    if (tooWide.length) {
      throw new Error(`MatryoshkaLoss: matryoshka_dims ${JSON.stringify(tooWide)} exceed the model's embedding dimension ${embeddingDim}`);
    }
    this.inner.checkModel(embeddingDim);
  }

  toSpec(): LossSpec {
    return { name: this.name, loss: this.inner.toSpec(), dims: this.dims, weights: this.weights, nDimsPerStep: this.nDimsPerStep };
  }

  checkData(data: LossData): void {
    this.inner.checkData(data);
  }

  configDict(): Record<string, unknown> {
    return { loss: this.inner.name, matryoshka_dims: this.dims, matryoshka_weights: this.weights, n_dims_per_step: this.nDimsPerStep };
  }
}
