import { AdaptiveLayerLoss, adaptiveLayerOptionsFromConfig, type AdaptiveLayerOptions } from './AdaptiveLayerLoss';
import type { Loss } from './Loss';
import type { LossOptions } from './LossOptions';
import { MatryoshkaLoss } from './MatryoshkaLoss';

export interface Matryoshka2dOptions extends AdaptiveLayerOptions {
  /** Embedding widths to train (e.g. 768, 512, 256, 128, 64). */
  matryoshkaDims: number[];
  /** One weight per dim; default 1 each. */
  matryoshkaWeights?: number[];
  /** Dims trained per step, a random sample (default 1, as 2DMSE); -1: all of them. */
  nDimsPerStep?: number;
}

/**
 * 2D Matryoshka embeddings (2DMSE): AdaptiveLayerLoss over MatryoshkaLoss over the given loss, as
 * sentence-transformers builds it; by default one random prior layer and one random dim per step.
 */
export class Matryoshka2dLoss extends AdaptiveLayerLoss {
  override readonly name: string = 'Matryoshka2dLoss';
  readonly matryoshka: MatryoshkaLoss;

  constructor(loss: Loss, options: Matryoshka2dOptions) {
    const matryoshka = new MatryoshkaLoss(loss, {
      matryoshkaDims: options.matryoshkaDims, matryoshkaWeights: options.matryoshkaWeights, nDimsPerStep: options.nDimsPerStep ?? 1,
    });
    super(matryoshka, options);
    this.matryoshka = matryoshka;
  }

  static override fromConfig(o: LossOptions): Matryoshka2dLoss {
    const inner = o.loss('loss', 'MultipleNegativesRankingLoss');
    return new Matryoshka2dLoss(inner, {
      ...adaptiveLayerOptionsFromConfig(o),
      matryoshkaDims: o.numberList('matryoshka_dims') as number[],
      matryoshkaWeights: o.numberList('matryoshka_weights'),
      nDimsPerStep: o.integer('n_dims_per_step', 1),
    });
  }

  /** As sentence-transformers merges them: AdaptiveLayerLoss' options, then MatryoshkaLoss' (whose "loss" is the innermost loss). */
  override configDict(): Record<string, unknown> {
    return { ...super.configDict(), ...this.matryoshka.configDict() };
  }
}
