import type { LossSpec } from '../binding/AddonTypes';

/**
 * A training objective. The math runs in C++ (native/engine/losses); the TypeScript side describes the
 * loss to the engine, checks the data shape it needs, and describes itself for the model card.
 */
export interface Loss {
  /** sentence-transformers' class name, e.g. "MultipleNegativesRankingLoss". */
  readonly name: string;
  /** What the engine computes. */
  toSpec(): LossSpec;
  /** Throws when a dataset with these input columns cannot feed the loss. */
  checkInputColumns(columns: string[]): void;
  /** The loss's options in sentence-transformers' spelling, for the model card and logs. */
  configDict(): Record<string, unknown>;
}

/** Losses over (anchor, positive[, negative...]) columns ranked against in-batch candidates. */
export function checkAnchorPositiveColumns(lossName: string, columns: string[]): void {
  if (columns.length < 2) {
    throw new Error(
      `${lossName} needs (anchor, positive[, negatives...]) input columns but the dataset has ` +
        `${columns.length === 0 ? 'none' : `only [${columns.join(', ')}]`}; ` +
        'inputs are taken by column order, every column except "label"/"score"',
    );
  }
}
