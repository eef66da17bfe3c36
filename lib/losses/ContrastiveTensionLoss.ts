import type { LossSpec } from '../binding/AddonTypes';
import { requireInputColumns, requireLabels } from './dataRequirements';
import type { Loss, LossData } from './Loss';
import type { LossOptions } from './LossOptions';

/**
 * Contrastive Tension (Carlsson et al. 2021): the loss owns model1, a copy of the model taken when training
 * starts and trained with it; model1 embeds sentence_A, the model (model2, the one saved) sentence_B, and
 * binary cross-entropy on their dot product (summed over the batch) pulls identical pairs together and pushes
 * different ones apart. Data: (sentence_A, sentence_B) pairs with a 1/0 label, e.g. from
 * ContrastiveTensionDataLoader, or without labels (then 1 exactly when the two texts tokenize alike).
 * model1's weights and optimizer state are kept in checkpoints' training state, not in the saved model.
 */
export class ContrastiveTensionLoss implements Loss {
  readonly name = 'ContrastiveTensionLoss';

  static fromConfig(_o: LossOptions): ContrastiveTensionLoss {
    return new ContrastiveTensionLoss();
  }

  toSpec(): LossSpec {
    return { name: this.name };
  }

  checkData(data: LossData): void {
    requireInputColumns(this.name, data, {
      min: 2, max: 2,
      describe: '(sentence_A, sentence_B) pairs, exactly 2 input columns (ContrastiveTensionDataLoader makes them from single sentences)',
    });
    if (data.label !== null) requireLabels(this.name, data, 'binary');
  }

  checkModel(): void {}

  configDict(): Record<string, unknown> {
    return {};
  }
}
