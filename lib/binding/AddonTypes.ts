/**
 * Everything the native addon (build/Release/embedforge.node) exposes, declared once.
 * The C++ side (native/addon) implements exactly this surface; TypeScript code imports these types
 * and never reaches into the addon any other way.
 *
 * Conventions:
 * - Texts cross the boundary packed and unpadded: text i is inputIds[cuSeqlens[i] .. cuSeqlens[i+1]),
 *   already tokenized with special tokens ([CLS] ... [SEP]) and truncated.
 * - Embedding matrices are row-major Float32Array of shape (rows, dim).
 * - Every method that touches tensors returns a Promise and runs on a worker thread (Napi::AsyncWorker).
 * - Errors are thrown/rejected as JS Errors whose message names the offending tensor, shape or value.
 */

export type Device = 'cpu' | 'cuda';
export type PoolingMode = 'cls' | 'mean' | 'max' | 'lasttoken';
export type SimilarityFunction = 'cosine' | 'dot';
export type Precision = 'fp32' | 'bf16' | 'fp16';

export interface PackedTexts {
  inputIds: Int32Array;
  /** Cumulative offsets, length = number of texts + 1, cuSeqlens[0] = 0. */
  cuSeqlens: Int32Array;
}

export interface EncoderOptions {
  /** The Hugging Face config.json of the BERT-family model, as text. */
  configJson: string;
  pooling: PoolingMode;
  /** True when a Normalize module follows the pooling (unit-length embeddings). */
  normalize: boolean;
  device: Device;
}

export interface LossSpec {
  name: 'MultipleNegativesRankingLoss' | 'MultipleNegativesSymmetricRankingLoss';
  /** Multiplier of the similarity matrix before the cross-entropy (sentence-transformers: 20). */
  scale: number;
  similarity: SimilarityFunction;
  /** MatryoshkaLoss around the inner loss: the inner loss on embeddings truncated to each dim, times its weight, summed. */
  matryoshka?: { dims: number[]; weights: number[] };
}

export interface TrainingSpec {
  loss: LossSpec;
  /** AdamW as torch.optim.AdamW; no weight decay on biases and LayerNorm weights (as the HF Trainer). */
  optimizer: { weightDecay: number; beta1: number; beta2: number; eps: number };
  /** Autocast precision of forward/backward; master weights stay fp32. bf16/fp16 only on CUDA. */
  precision: Precision;
  /** Allow TF32 matmuls on CUDA. */
  tf32: boolean;
}

export interface TrainStepRequest {
  /** batchSize * numColumns texts, column-major: all texts of column 0 (anchors), then column 1 (positives), ... */
  texts: PackedTexts;
  numColumns: number;
  /** The loss is divided by this before backward (the gradient accumulation steps). */
  lossDivisor: number;
  /** At an accumulation boundary: clip, take an AdamW step at learningRate, zero the gradients. */
  optimizerStep: boolean;
  learningRate: number;
  /** Clip the total gradient 2-norm to this before the optimizer step; <= 0 disables clipping. */
  maxGradNorm: number;
}

export interface TrainStepResult {
  /** The loss of this micro-batch before division by lossDivisor. */
  loss: number;
  /** Total gradient norm before clipping when an optimizer step was taken, else NaN. */
  gradNorm: number;
}

export interface LossAndGradients {
  loss: number;
  /** d loss / d parameter for every trainable parameter, by Hugging Face name. */
  gradients: Record<string, Float32Array>;
}

export interface NativeEncoder {
  /** Width of the sentence embedding (the config's hidden_size). */
  readonly embeddingDim: number;
  /** Names of the trainable parameters, Hugging Face BERT names without the "bert." prefix. */
  parameterNames(): string[];
  /** Loads model.safetensors; checks every tensor's presence and shape against the config. Tensors it does not train (e.g. pooler.*) are kept and written back by saveWeights. */
  loadWeights(path: string): Promise<void>;
  /** BERT initialisation (normal(0, initializer_range), LayerNorm 1/0, biases 0) from a seed. */
  initWeights(seed: number): Promise<void>;
  /** Writes every tensor as F32 safetensors to path (the caller makes it atomic by renaming). */
  saveWeights(path: string): Promise<void>;
  /** Forward without gradients, eval mode: pooled (and normalized) embeddings, rows in input order. */
  encode(texts: PackedTexts): Promise<Float32Array>;
  /** Creates the optimizer; must precede trainStep. Calling it again resets the optimizer state. */
  configureTraining(spec: TrainingSpec): void;
  /** One micro-batch: train-mode forward (dropout per config), loss, backward, and the optimizer step at a boundary. */
  trainStep(request: TrainStepRequest): Promise<TrainStepResult>;
  /** For parity tests: the configured loss on one batch and its gradients, in train mode, without any update; gradients are zeroed afterwards. */
  lossAndGradients(texts: PackedTexts, numColumns: number): Promise<LossAndGradients>;
  /** Optimizer moments and step counts and the RNG states, as safetensors at path. */
  saveTrainingState(path: string): Promise<void>;
  loadTrainingState(path: string): Promise<void>;
}

export interface TopK {
  /** (numQueries, k) row-major: corpus row indices, best first. */
  indices: Int32Array;
  scores: Float32Array;
  k: number;
}

export interface DeviceInfo {
  cudaAvailable: boolean;
  cudaDeviceCount: number;
  /** e.g. "NVIDIA H100 80GB HBM3", or "" without CUDA. */
  cudaDeviceName: string;
  bf16Supported: boolean;
  torchVersion: string;
}

export interface Addon {
  NativeEncoder: new (options: EncoderOptions) => NativeEncoder;
  /** Seeds every LibTorch generator (dropout masks, initWeights draws its own seed). */
  manualSeed(seed: number): void;
  deviceInfo(): DeviceInfo;
  /** Top-k corpus rows by similarity for each query: (numQueries x dim) against (numCorpus x dim); k is capped at numCorpus. */
  searchTopK(queries: Float32Array, corpus: Float32Array, dim: number, k: number,
    similarity: SimilarityFunction, device: Device): Promise<TopK>;
}
