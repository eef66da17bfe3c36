import type { LossSpec } from '../binding/AddonTypes';
import type { Loss, LossData } from './Loss';
import type { LossOptions } from './LossOptions';

export type LayerWeighting = 'uniform' | 'log' | 'linear';

export interface AdaptiveLayerOptions {
  /** Prior layers trained per step, a random sample (default 1); -1: all of them. */
  nLayersPerStep?: number;
  /** Weight of the last layer's loss (default 1). */
  lastLayerWeight?: number;
  /** Weight of the prior layers' losses, averaged over the sampled layers (default 1). */
  priorLayersWeight?: number;
  /** Weight of the KL term pulling prior layers towards the last (default 1). */
  klDivWeight?: number;
  /** Temperature of that KL term; 0 turns it off (default 0.3). */
  klTemperature?: number;
  /** Weight of prior layer i: uniform 1 (default), log 1 / (1 + ln(1 + i)), linear 1 / (1 + i); layer 0 is the embedding layer's output. */
  layerWeighting?: LayerWeighting;
}

/** Reads AdaptiveLayerLoss' options from a config (shared with Matryoshka2dLoss). */
export function adaptiveLayerOptionsFromConfig(o: LossOptions): AdaptiveLayerOptions {
  return {
    nLayersPerStep: o.integer('n_layers_per_step', 1),
    lastLayerWeight: o.number('last_layer_weight', 1),
    priorLayersWeight: o.number('prior_layers_weight', 1),
    klDivWeight: o.number('kl_div_weight', 1),
    klTemperature: o.number('kl_temperature', 0.3),
    layerWeighting: o.choice<LayerWeighting>('layer_weighting', 'uniform', { uniform: 'uniform', log: 'log', linear: 'linear' }),
  };
}

/**
 * A modifier that trains the inner loss on the embeddings of prior encoder layers too (pooled as the
 * last layer's are), plus a KL term towards the last layer's, so that a model cut to fewer layers
 * still embeds well. The engine keeps every hidden state of the one forward for it.
 */
export class AdaptiveLayerLoss implements Loss {
  readonly name: string = 'AdaptiveLayerLoss';
  readonly nLayersPerStep: number;
  readonly lastLayerWeight: number;
  readonly priorLayersWeight: number;
  readonly klDivWeight: number;
  readonly klTemperature: number;
  readonly layerWeighting: LayerWeighting;

  constructor(readonly inner: Loss, options: AdaptiveLayerOptions = {}) {
    this.nLayersPerStep = options.nLayersPerStep ?? 1;
    this.lastLayerWeight = options.lastLayerWeight ?? 1;
    this.priorLayersWeight = options.priorLayersWeight ?? 1;
    this.klDivWeight = options.klDivWeight ?? 1;
    this.klTemperature = options.klTemperature ?? 0.3;
    this.layerWeighting = options.layerWeighting ?? 'uniform';
    const who = this.constructor.name;
    if (!Number.isInteger(this.nLayersPerStep)) throw new Error(`${who}: n_layers_per_step must be an integer, got ${this.nLayersPerStep}`);
    for (const [key, v] of [['last_layer_weight', this.lastLayerWeight], ['prior_layers_weight', this.priorLayersWeight], ['kl_div_weight', this.klDivWeight]] as const) {
      if (!Number.isFinite(v)) throw new Error(`${who}: ${key} must be a finite number, got ${v}`);
    }
    if (!(this.klTemperature >= 0) || !Number.isFinite(this.klTemperature)) {
      throw new Error(`${who}: kl_temperature must be >= 0 (0 turns the KL term off), got ${this.klTemperature}`);
    }
    if (!['uniform', 'log', 'linear'].includes(this.layerWeighting)) {
      throw new Error(`${who}: layer_weighting must be "uniform", "log" or "linear", got ${JSON.stringify(this.layerWeighting)}`);
    }
    if (inner instanceof AdaptiveLayerLoss) throw new Error(`${who} cannot wrap ${inner.name}: both need the layers of the one forward`);
    if (inner.name.startsWith('Cached') || (inner as { inner?: Loss }).inner?.name.startsWith('Cached')) {
      throw new Error(`${who} is not compatible with ${inner.name}: a cached loss back-propagates from its own mini-batches; use the loss without "Cached"`);
    }
  }

  static fromConfig(o: LossOptions): AdaptiveLayerLoss {
    const inner = o.loss('loss', 'MultipleNegativesRankingLoss');
    return new AdaptiveLayerLoss(inner, adaptiveLayerOptionsFromConfig(o));
  }

  toSpec(): LossSpec {
    return {
      name: 'AdaptiveLayerLoss', loss: this.inner.toSpec(), nLayersPerStep: this.nLayersPerStep, lastLayerWeight: this.lastLayerWeight,
      priorLayersWeight: this.priorLayersWeight, klDivWeight: this.klDivWeight, klTemperature: this.klTemperature,
      layerWeighting: this.layerWeighting,
    };
  }

  checkData(data: LossData): void {
    this.inner.checkData(data);
  }

  checkModel(embeddingDim: number): void {
    this.inner.checkModel(embeddingDim);
  }

  configDict(): Record<string, unknown> {
    return {
      loss: this.inner.name, n_layers_per_step: this.nLayersPerStep, last_layer_weight: this.lastLayerWeight,
      prior_layers_weight: this.priorLayersWeight, kl_div_weight: this.klDivWeight, kl_temperature: this.klTemperature,
      layer_weighting: this.layerWeighting,
    };
  }
}
