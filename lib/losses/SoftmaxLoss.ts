import type { LossSpec } from '../binding/AddonTypes';
import { requireInputColumns, requireLabels } from './dataRequirements';
import type { Loss, LossData } from './Loss';
import type { LossOptions } from './LossOptions';

export interface SoftmaxLossOptions {
  /** The number of classes; labels are integers in [0, numLabels). Required, as in sentence-transformers. */
  numLabels: number;
  /** The embedding width the classifier takes; sentence-transformers asks for it, here it defaults to the model's. */
  embeddingDimension?: number;
  /** Concatenate u and v (default true). */
  concatenationSentRep?: boolean;
  /** Concatenate |u - v| (default true). */
  concatenationSentDifference?: boolean;
  /** Concatenate u * v (default false). */
  concatenationSentMultiplication?: boolean;
}

/**
 * Sentence-BERT's NLI objective: a linear classifier over (u, v, |u - v|[, u * v]) of each
 * (sentence_A, sentence_B) pair, trained with cross-entropy against the pair's class label. The
 * classifier is the loss's own and is trained alongside the encoder (initialised as torch.nn.Linear
 * from the training seed); it is kept in checkpoints' training state, not in the saved model.
 */
export class SoftmaxLoss implements Loss {
  readonly name = 'SoftmaxLoss';
  readonly numLabels: number;
  readonly embeddingDimension: number | undefined;
  readonly concatenationSentRep: boolean;
  readonly concatenationSentDifference: boolean;
  readonly concatenationSentMultiplication: boolean;

  constructor(options: SoftmaxLossOptions) {
    const { numLabels, embeddingDimension } = options;
    if (!Number.isInteger(numLabels) || numLabels < 1) {
      throw new Error(`SoftmaxLoss needs num_labels, the number of classes (an integer >= 1), got ${JSON.stringify(numLabels)}`);
    }
    if (embeddingDimension !== undefined && (!Number.isInteger(embeddingDimension) || embeddingDimension < 1)) {
      throw new Error(`SoftmaxLoss: embedding_dimension must be a positive integer, got ${embeddingDimension}`);
    }
    this.numLabels = numLabels;
    this.embeddingDimension = embeddingDimension;
    this.concatenationSentRep = options.concatenationSentRep ?? true;
    this.concatenationSentDifference = options.concatenationSentDifference ?? true;
    this.concatenationSentMultiplication = options.concatenationSentMultiplication ?? false;
    if (!this.concatenationSentRep && !this.concatenationSentDifference && !this.concatenationSentMultiplication) {
      throw new Error('SoftmaxLoss: at least one of concatenation_sent_rep, concatenation_sent_difference, or concatenation_sent_multiplication must be true');
    }
  }

  static fromConfig(o: LossOptions): SoftmaxLoss {
    const dim = o.integer('embedding_dimension', o.integer('sentence_embedding_dimension', 0));
    return new SoftmaxLoss({
      numLabels: o.integer('num_labels', 0),
      embeddingDimension: dim === 0 ? undefined : dim,
      concatenationSentRep: o.boolean('concatenation_sent_rep', true),
      concatenationSentDifference: o.boolean('concatenation_sent_difference', true),
      concatenationSentMultiplication: o.boolean('concatenation_sent_multiplication', false),
    });
  }

  toSpec(): LossSpec {
    return {
      name: this.name, numLabels: this.numLabels, concatenationSentRep: this.concatenationSentRep,
      concatenationSentDifference: this.concatenationSentDifference, concatenationSentMultiplication: this.concatenationSentMultiplication,
    };
  }

  checkData(data: LossData): void {
    requireInputColumns(this.name, data, { min: 2, max: 2, describe: '(sentence_A, sentence_B) pairs, exactly 2 input columns' });
    requireLabels(this.name, data, 'class');
    const labels = data.labels as Float32Array;
    for (let i = 0; i < labels.length; i++) {
      if (labels[i] < 0 || labels[i] >= this.numLabels) {
        const where = data.describeRow ? data.describeRow(i) : `row ${i}`;
        throw new Error(`SoftmaxLoss needs class labels in [0, ${this.numLabels}) (num_labels = ${this.numLabels}), but column '${data.label}' at ${where} holds ${labels[i]}`);
      }
    }
  }

  checkModel(embeddingDim: number): void {
    if (this.embeddingDimension !== undefined && this.embeddingDimension !== embeddingDim) {
      throw new Error(`SoftmaxLoss: embedding_dimension ${this.embeddingDimension} differs from the model's embedding dimension ${embeddingDim}`);
    }
  }

  configDict(): Record<string, unknown> {
    return {
      num_labels: this.numLabels,
      concatenation_sent_rep: this.concatenationSentRep,
      concatenation_sent_difference: this.concatenationSentDifference,
      concatenation_sent_multiplication: this.concatenationSentMultiplication,
    };
  }
}
