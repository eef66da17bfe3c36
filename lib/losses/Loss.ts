import type { LossSpec } from '../binding/AddonTypes';

/** What a loss learns about the training data before the first step. */
export interface LossData {
  /** The input columns, in order (the label column excluded). */
  inputs: readonly string[];
  /** The label/score column's name, or null. */
  label: string | null;
  /** Its values, when there is one. */
  labels?: Float32Array | null;
  /** Names row i for error messages (e.g. "train.jsonl line 12"). */
  describeRow?: (row: number) => string;
}

/** What a loss may check of the model it trains beyond its width (a SentenceTransformer fits). */
export interface LossModel {
  readonly maxSeqLength: number;
  readonly tokenizer: { vocab(): Map<string, number> };
}

/**
 * A training objective. The math runs in C++ (native/engine/losses, one file per loss); the TypeScript
 * side holds sentence-transformers' name, options and defaults, checks that the data can feed the loss,
 * describes the loss to the engine, and describes itself for the model card.
 */
export interface Loss {
  /** sentence-transformers' class name, e.g. "MultipleNegativesRankingLoss". */
  readonly name: string;
  /** What the engine computes, every option spelled out. */
  toSpec(): LossSpec;
  /** Throws naming the loss, what it needs and what the data has, when the data cannot feed it. */
  checkData(data: LossData): void;
  /** Throws when the model cannot feed the loss (e.g. a Matryoshka dim wider than the embedding, a GIST guide
   *  whose tokenizer differs from the model's). */
  checkModel(embeddingDim: number, model?: LossModel): void;
  /** The loss's options in sentence-transformers' spelling, for the model card and logs. */
  configDict(): Record<string, unknown>;
}
