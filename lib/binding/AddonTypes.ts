/**
 * Everything the native addon (build/Release/embedforge.node) exposes, declared once.
 * The C++ side (native/addon) implements exactly this surface; TypeScript code imports these types
 * and never reaches into the addon any other way.
 *
 * Conventions:
 * - Texts cross the boundary packed and unpadded: text i is inputIds[cuSeqlens[i] .. cuSeqlens[i+1]),
 *   already tokenized with special tokens ([CLS] ... [SEP]) and truncated.
 * - Embedding matrices are row-major Float32Array of shape (rows, dim).
 * - Every method that touches tensors returns a Promise and runs on a worker thread (Napi::AsyncWorker):
 *   nothing heavy runs on Node's main thread (not the weights' allocation, not a corpus copy).
 * - Every object that holds native memory has dispose(): it frees the memory at once instead of at garbage
 *   collection, and any later call throws an Error saying the object was disposed.
 * - Errors are thrown/rejected as JS Errors whose message names the offending tensor, shape or value.
 */

/** 'cuda' is device 0; 'cuda:N' selects device N. */
export type Device = 'cpu' | 'cuda' | `cuda:${number}`;
export type PoolingMode = 'cls' | 'mean' | 'max' | 'lasttoken';
export type SimilarityFunction = 'cosine' | 'dot';
/** sentence-transformers' BatchHardTripletLossDistanceFunction (the batch triplet losses). */
export type BatchDistanceMetric = 'cosine_distance' | 'euclidean_distance';
/** sentence-transformers' TripletDistanceMetric members, lower-cased. */
export type TripletDistanceMetric = 'cosine' | 'euclidean' | 'manhattan';
/** sentence-transformers' SiameseDistanceMetric members (the contrastive losses), lower-cased. */
export type SiameseDistanceMetric = 'euclidean' | 'manhattan' | 'cosine_distance';
/** CoSENTLoss' similarity_fct: util.pairwise_cos_sim / _dot_score / _euclidean_sim / _manhattan_sim / _angle_sim. */
export type PairwiseSimilarity = 'cosine' | 'dot' | 'euclidean' | 'manhattan' | 'angle';
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

/**
 * What the engine computes for a training step, one member per loss file of native/engine/losses
 * (and of lib/losses, which builds these from sentence-transformers' options with their defaults).
 * Every option is spelled out here: the engine has no defaults of its own. Modifiers hold the loss
 * they wrap under `loss`.
 */
/** The GIST losses' options; the guide is a BERT sentence-transformers folder that shares the model's tokenizer
 *  (it embeds the model's token ids, in eval mode, without gradients). */
export interface GistLossSpecOptions {
  temperature: number;
  marginStrategy: 'absolute' | 'relative';
  margin: number;
  contrastAnchors: boolean;
  contrastPositives: boolean;
  /** The guide's config.json text, model.safetensors path, pooling and Normalize module. */
  guideConfigJson: string;
  guideWeightsPath: string;
  guidePooling: PoolingMode;
  guideNormalize: boolean;
}

/** MultipleNegativesRankingLoss' interaction terms (sentence-transformers 6): query_to_doc always; the others add
 *  query-query, document-query and document-document similarities to the softmax. */
export type RankingDirection = 'query_to_doc' | 'query_to_query' | 'doc_to_query' | 'doc_to_doc';
export type RankingHardnessMode = 'in_batch_negatives' | 'hard_negatives' | 'all_negatives';
/** The ranking losses' interaction options; lib/losses always fills them, and absent means sentence-transformers'
 *  default (query_to_doc only, joint, no hardness weighting). */
export interface RankingInteractionSpec {
  directions?: RankingDirection[];
  /** joint: one softmax over every direction's scores; per_direction: one each, averaged (query_to_doc and doc_to_query only). */
  partitionMode?: 'joint' | 'per_direction';
  /** Adds hardnessStrength * stop_grad(sim) to those negatives' logits (not scaled); null: none. */
  hardnessMode?: RankingHardnessMode | null;
  hardnessStrength?: number;
}

export type LossSpec =
  /** Cross-entropy of each anchor's similarities to every candidate (positives and negatives of the batch), times scale. */
  | ({ name: 'MultipleNegativesRankingLoss'; scale: number; similarity: SimilarityFunction } & RankingInteractionSpec)
  /** The same, averaged with the positives ranking the batch's anchors. */
  | { name: 'MultipleNegativesSymmetricRankingLoss'; scale: number; similarity: SimilarityFunction }
  /** The two above computed with GradCache: the encoder runs in mini-batches of miniBatchSize texts inside the engine
   *  call (no graph, then again with autograd and the cached gradients), and the loss in chunks of as many rows.
   *  miniBatchNumTokens (absent: off): the encoder's mini-batches hold as many consecutive texts as fit in that many tokens. */
  | ({ name: 'CachedMultipleNegativesRankingLoss'; scale: number; similarity: SimilarityFunction; miniBatchSize: number; miniBatchNumTokens?: number }
    & RankingInteractionSpec)
  | { name: 'CachedMultipleNegativesSymmetricRankingLoss'; scale: number; similarity: SimilarityFunction; miniBatchSize: number; miniBatchNumTokens?: number }
  /** In-batch negatives whose false negatives a frozen guide model masks (GIST); the Cached one with GradCache. */
  | ({ name: 'GISTEmbedLoss' } & GistLossSpecOptions)
  | ({ name: 'CachedGISTEmbedLoss'; miniBatchSize: number } & GistLossSpecOptions)
  /** Hinge on each anchor's positive and its hardest in-batch negative; GradCache mini-batches when useMiniBatchedVersion. */
  | { name: 'MegaBatchMarginLoss'; positiveMargin: number; negativeMargin: number; useMiniBatchedVersion: boolean; miniBatchSize: number }
  /** The inner loss on embeddings truncated to each dim and renormalized, times its weight, summed.
   *  nDimsPerStep in (0, #dims): a random sample of that many dims per step (absent: -1, every dim);
   *  sampledDims (tests only): train these dims every step instead of a random sample. */
  | { name: 'MatryoshkaLoss'; loss: LossSpec; dims: number[]; weights: number[]; nDimsPerStep?: number; sampledDims?: number[] }
  /** Cross-entropy of a linear classifier over (u, v, |u - v|, u * v) of a pair, its head ("classifier.weight",
   *  "classifier.bias") trained with the encoder: initialised as torch.nn.Linear from LibTorch's CPU generator,
   *  or from classifierWeight (numLabels x features, row-major) and classifierBias when given. */
  | {
    name: 'SoftmaxLoss'; numLabels: number; concatenationSentRep: boolean; concatenationSentDifference: boolean;
    concatenationSentMultiplication: boolean; classifierWeight?: number[]; classifierBias?: number[];
  }
  /** The inner loss on the last layer and on prior layers (all, or a random sample of nLayersPerStep; layer 0 is the
   *  embedding layer's output), plus a KL term towards the last layer; sampledLayers (tests only) fixes the sample. */
  | {
    name: 'AdaptiveLayerLoss'; loss: LossSpec; nLayersPerStep: number; lastLayerWeight: number; priorLayersWeight: number;
    klDivWeight: number; klTemperature: number; layerWeighting: 'uniform' | 'log' | 'linear'; sampledLayers?: number[];
  }
  /** Triplet losses over one sentence column with class labels (margin hinge; the soft-margin one has none). */
  | { name: 'BatchAllTripletLoss'; distanceMetric: BatchDistanceMetric; margin: number }
  | { name: 'BatchHardTripletLoss'; distanceMetric: BatchDistanceMetric; margin: number }
  | { name: 'BatchSemiHardTripletLoss'; distanceMetric: BatchDistanceMetric; margin: number }
  | { name: 'BatchHardSoftMarginTripletLoss'; distanceMetric: BatchDistanceMetric }
  /** relu(dist(anchor, positive) - dist(anchor, negative) + tripletMargin), averaged. */
  | { name: 'TripletLoss'; distanceMetric: TripletDistanceMetric; tripletMargin: number }
  /** Pairs labelled 1/0: squared distance, or squared hinge below margin; all pairs, or the hard ones (Online). */
  | { name: 'ContrastiveLoss'; distanceMetric: SiameseDistanceMetric; margin: number; sizeAverage: boolean }
  | { name: 'OnlineContrastiveLoss'; distanceMetric: SiameseDistanceMetric; margin: number }
  /** Pairs with a float score: the pair's cosine regressed onto it. */
  | { name: 'CosineSimilarityLoss'; lossFct: 'MSELoss' | 'L1Loss'; cosScoreTransformation: 'Identity' }
  /** Contrastive Tension: a copy of the model the loss owns and trains (model1) embeds one column, the model the other;
   *  BCE-with-logits of their dot products against 1/0 pair labels (or token-id identity); in-batch: cross-entropy. */
  | { name: 'ContrastiveTensionLoss' }
  | { name: 'ContrastiveTensionLossInBatchNegatives'; scale: number; similarity: SimilarityFunction }
  /** Pairs with a float score: every two pairs ranked by score (CoSENT); AnglELoss with the angle score. */
  | { name: 'CoSENTLoss'; scale: number; similarity: PairwiseSimilarity }
  | { name: 'AnglELoss'; scale: number }
  /** TSDAE: a BERT decoder tied to the encoder reconstructs column 1's tokens from column 0's embedding; its own
   *  parameters (cross-attention, LM head) by name when given, else from the model file or BERT's init. */
  | { name: 'DenoisingAutoEncoderLoss'; tieEncoderDecoder: boolean; decoderParameters?: Record<string, number[]> };

/** One micro-batch of a loss: numColumns * B texts, column-major, and the rows' labels when the data has a label/score column. */
export interface LossBatch {
  /** batchSize * numColumns texts, column-major: all texts of column 0 (e.g. anchors), then column 1, ... */
  texts: PackedTexts;
  /** 1 or more input columns; each loss checks the count it needs. */
  numColumns: number;
  /** One label per row (class id, 1/0, or a float score), as the data's label column holds it. */
  labels?: Float32Array;
  /** Which of TrainingSpec.losses computes this batch (multi-dataset training); default 0. */
  lossIndex?: number;
}

/** The optimizers the engine implements, by the HF Trainer's `optim` names (native/engine/optimizers/). */
export type OptimizerKind = 'adamw_torch' | 'adamw_torch_fused' | 'adamw_8bit' | 'sgd' | 'adagrad' | 'rmsprop';

/**
 * The optimizer and its hyperparameters, as the HF Trainer builds it: weightDecay applies to the decay group
 * only (not biases and LayerNorm weights). Each optimizer reads its own fields; absent ones take torch's
 * defaults (momentum 0, dampening 0, nesterov false, lrDecay 0, alpha 0.99, centered false).
 */
export interface OptimizerSpec {
  /** Default adamw_torch. */
  name?: OptimizerKind;
  weightDecay: number;
  /** AdamW (also adamw_8bit). */
  beta1: number;
  beta2: number;
  /** AdamW, Adagrad, RMSprop. */
  eps: number;
  /** SGD, RMSprop. */
  momentum?: number;
  /** SGD. */
  dampening?: number;
  nesterov?: boolean;
  /** Adagrad. */
  lrDecay?: number;
  /** RMSprop. */
  alpha?: number;
  centered?: boolean;
}

export interface TrainingSpec {
  /** One loss per training dataset (a single dataset: one loss); each batch names its lossIndex. */
  losses: LossSpec[];
  optimizer: OptimizerSpec;
  /** Autocast precision of forward/backward; master weights stay fp32. bf16/fp16 only on CUDA. */
  precision: Precision;
  /** Allow TF32 matmuls on CUDA. */
  tf32: boolean;
  /** Recompute each encoder layer's activations in the backward pass (gradient_checkpointing); default false. */
  gradientCheckpointing?: boolean;
}

export interface TrainStepRequest extends LossBatch {
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
  /** True once dispose() was called. */
  readonly disposed: boolean;
  /**
   * Frees the weights, optimizer state and loss parameters (and returns the CUDA caching allocator's free
   * blocks to the device) as soon as the call running on this encoder, if any, has finished; the promise
   * resolves then. Every later call throws "this model was disposed". Calling it again does nothing.
   */
  dispose(): Promise<void>;
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
  /** Creates the optimizer; must precede trainStep (await it). Calling it again resets the optimizer state.
   *  Waits for a running call of this encoder on a worker thread, not on the JS thread. */
  configureTraining(spec: TrainingSpec): Promise<void>;
  /** One micro-batch: train-mode forward (dropout per config), loss, backward, and the optimizer step at a boundary. */
  trainStep(request: TrainStepRequest): Promise<TrainStepResult>;
  /** For parity tests: the configured loss on one batch and its gradients, in train mode, without any update; gradients are zeroed afterwards. */
  lossAndGradients(batch: LossBatch): Promise<LossAndGradients>;
  /** Eval mode (no dropout), no gradients: one batch's loss (the Trainer averages these into eval_loss). */
  evaluationLoss(batch: LossBatch): Promise<number>;
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
  /** The CUDA runtime LibTorch was built against ("13.0"), or "" for a CPU LibTorch; known without a GPU. */
  torchCudaVersion: string;
  /** The CUDA-only kernels the engine calls (flash/efficient attention, fused AdamW, autocast), by
   *  "op (dispatch key)": registered by libtorch_cuda or not. Empty for a CPU LibTorch. */
  cudaKernels: Record<string, boolean>;
}

/**
 * A torch.Generator on the CPU (LibTorch's own): what sentence-transformers' batch samplers shuffle with, so
 * the same seed gives the same batches here. Calls run synchronously on the JS thread (a sampler draws about
 * one permutation per epoch; some 40 ms per million rows).
 */
export interface TorchGenerator {
  /** generator.manual_seed(seed); seed: an integer in [0, 2^53). */
  manualSeed(seed: number): void;
  /** torch.randperm(n, generator=this): a permutation of 0..n-1, continuing the generator's state. */
  randperm(n: number): Int32Array;
  /** Drops the generator's state at once; later calls throw "this generator was disposed". */
  dispose(): void;
}

export interface Addon {
  /** NativeEncoder.create(options): the encoder with its weights allocated on a worker thread (uninitialised
   *  until loadWeights or initWeights). The class has no public constructor. */
  NativeEncoder: { create(options: EncoderOptions): Promise<NativeEncoder> };
  /** torch.Generator(): LibTorch's default seed until manualSeed (or the seed given here). */
  TorchGenerator: new (seed?: number) => TorchGenerator;
  /** Seeds every LibTorch generator (dropout masks, initWeights draws its own seed). */
  manualSeed(seed: number): void;
  deviceInfo(): DeviceInfo;
  /** LibTorch's intra-op thread count on the engine thread that runs every tensor-heavy call (EMBEDFORGE_NUM_THREADS sets it). */
  engineThreads(): number;
  /** The config.json model_type values the engine has an encoder for (lib/models/architectures.ts lists the same). */
  supportedModelTypes(): string[];
  /** Top-k corpus rows by similarity for each query: (numQueries x dim) against (numCorpus x dim); k is capped at numCorpus.
   *  The arrays are read in place on a worker thread (not copied on the JS thread): do not modify them until it resolves. */
  searchTopK(queries: Float32Array, corpus: Float32Array, dim: number, k: number,
    similarity: SimilarityFunction, device: Device): Promise<TopK>;
}
