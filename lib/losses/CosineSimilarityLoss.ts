import type { LossSpec } from '../binding/AddonTypes';
import { requireInputColumns, requireLabels } from './dataRequirements';
import { checkChoice } from './distanceMetrics';
import type { Loss, LossData } from './Loss';
import type { LossOptions } from './LossOptions';

export type CosineRegressionLoss = 'MSELoss' | 'L1Loss';
export type CosScoreTransformation = 'Identity';

export interface CosineSimilarityLossOptions {
  /** torch.nn loss between the cosine and the score: 'MSELoss' (sentence-transformers' default) or 'L1Loss'. */
  lossFct?: CosineRegressionLoss;
  /** Applied to the cosine first: 'Identity' (the default, and the only one offered). */
  cosScoreTransformation?: CosScoreTransformation;
}

/** torch's module paths, as sentence-transformers' fullname() reports them in get_config_dict. */
const FULL_NAMES: Record<CosineRegressionLoss | CosScoreTransformation, string> = {
  MSELoss: 'torch.nn.modules.loss.MSELoss', L1Loss: 'torch.nn.modules.loss.L1Loss', Identity: 'torch.nn.modules.linear.Identity',
};

/** Config spellings: the class name, nn.X, torch.nn.X or the full module path (case-insensitive). */
function spellings<T extends CosineRegressionLoss | CosScoreTransformation>(values: readonly T[]): Record<string, T> {
  const out: Record<string, T> = {};
  for (const v of values) for (const s of [v, `nn.${v}`, `torch.nn.${v}`, FULL_NAMES[v]]) out[s.toLowerCase()] = v;
  return out;
}

/** (sentence_A, sentence_B) pairs with a float score: loss_fct(cos(A, B), score). */
export class CosineSimilarityLoss implements Loss {
  readonly name = 'CosineSimilarityLoss';
  readonly lossFct: CosineRegressionLoss;
  readonly cosScoreTransformation: CosScoreTransformation;

  constructor(options: CosineSimilarityLossOptions = {}) {
    this.lossFct = checkChoice(this.name, 'loss_fct', options.lossFct ?? 'MSELoss', ['MSELoss', 'L1Loss']);
    this.cosScoreTransformation = checkChoice(this.name, 'cos_score_transformation', options.cosScoreTransformation ?? 'Identity', ['Identity']);
  }

  static fromConfig(o: LossOptions): CosineSimilarityLoss {
    return new CosineSimilarityLoss({
      lossFct: o.choice<CosineRegressionLoss>('loss_fct', 'MSELoss', spellings<CosineRegressionLoss>(['MSELoss', 'L1Loss'])),
      cosScoreTransformation: o.choice<CosScoreTransformation>('cos_score_transformation', 'Identity', spellings<CosScoreTransformation>(['Identity'])),
    });
  }

  toSpec(): LossSpec {
    return { name: this.name, lossFct: this.lossFct, cosScoreTransformation: this.cosScoreTransformation };
  }

  checkData(data: LossData): void {
    requireInputColumns(this.name, data, { min: 2, max: 2, describe: '(sentence_A, sentence_B) input columns (plus a score)' });
    requireLabels(this.name, data, 'score');
  }

  checkModel(): void {}

  configDict(): Record<string, unknown> {
    return { loss_fct: FULL_NAMES[this.lossFct], cos_score_transformation: FULL_NAMES[this.cosScoreTransformation] };
  }
}
