import type { Device, SimilarityFunction } from '../binding/AddonTypes';

export interface EncodeOptions {
  batchSize?: number;
  /** Keep only the first truncateDim dimensions of each embedding (Matryoshka), as sentence-transformers' encode(truncate_dim=...). */
  truncateDim?: number;
  normalizeEmbeddings?: boolean;
  showProgressBar?: boolean;
}

/**
 * What an evaluator needs from a model. SentenceTransformer satisfies it; tests use small stand-ins.
 */
export interface EmbeddingModel {
  /** Width of the full (untruncated) embedding. */
  readonly embeddingDim: number;
  /** sentence-transformers' similarity_fn_name: the evaluators' default score function. Absent means 'cosine', ST's default. */
  readonly similarityFnName?: SimilarityFunction;
  /** Where the top-k search runs. Absent means 'cpu'. */
  readonly device?: Device;
  /** The folder the model was loaded from, named in errors about its embeddings. */
  readonly loadedFrom?: string | null;
  /** Embeddings as a row-major Float32Array of shape (texts.length, truncateDim ?? embeddingDim). */
  encode(texts: string[], options?: EncodeOptions): Promise<Float32Array>;
}
