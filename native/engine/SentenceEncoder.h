// A sentence-transformers bi-encoder: Encoder (the architecture config.json names) -> Pooling -> optional
// Normalize, with the training machinery around it (loss, the optimizer, gradient accumulation and clipping, mixed precision).
// Texts arrive packed (PackedBatch.h); embeddings leave as fp32 CPU tensors (N, hidden_size).
// Not thread-safe: the caller serializes calls (the addon holds a mutex per encoder).
#pragma once
#include <ATen/ATen.h>

#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "Encoder.h"
#include "Json.h"
#include "losses/Loss.h"
#include "optimizers/Optimizer.h"
#include "PackedBatch.h"
#include "Pooling.h"
#include "Precision.h"

namespace embedforge {

struct EncoderOptions {
  std::string configJson;
  PoolingMode pooling = PoolingMode::Mean;
  bool normalize = false;
  std::string device = "cpu";  // "cpu" | "cuda"
};

struct TrainingSpec {
  // The LossSpecs of lib/binding/AddonTypes.ts, built by losses/LossRegistry.h: one per training
  // dataset (multi-dataset training gives each dataset its own loss); a batch names its lossIndex.
  std::vector<JsonValue> losses;
  OptimizerSpec optimizer;
  Precision precision = Precision::Fp32;
  bool tf32 = false;
  bool gradientCheckpointing = false;  // recompute each encoder layer in backward (LayerCheckpoint.h)
};

/** One micro-batch: numColumns * B texts, column-major, and the rows' labels when the data has them. */
struct LossBatch {
  PackedTexts texts;
  int64_t numColumns = 2;
  std::vector<float> labels;  // empty, or B values
  int64_t lossIndex = 0;      // which of TrainingSpec::losses
};

struct TrainStepRequest {
  LossBatch batch;
  double lossDivisor = 1.0;
  bool optimizerStep = true;
  double learningRate = 0.0;
  double maxGradNorm = 0.0;
};

struct TrainStepResult {
  double loss = 0;
  double gradNorm = 0;  // NaN when no optimizer step was taken
};

struct LossAndGradients {
  double loss = 0;
  std::vector<std::pair<std::string, at::Tensor>> gradients;  // CPU fp32, by parameter name
};

/** "cpu" or "cuda" (the latter only when LibTorch sees a CUDA device). */
at::Device parseDevice(const std::string& name);

class SentenceEncoder {
 public:
  explicit SentenceEncoder(const EncoderOptions& options);

  int64_t embeddingDim() const { return encoder_->encoderConfig().hiddenSize; }
  std::vector<std::string> parameterNames() const { return encoder_->parameterNames(); }

  void loadWeights(const std::string& path) { encoder_->load(path); }
  void initWeights(uint64_t seed) { encoder_->init(seed); }
  void saveWeights(const std::string& path) const { encoder_->save(path); }

  /** Eval mode, no autograd: (N, D) fp32 CPU embeddings in input order. */
  at::Tensor encode(const PackedTexts& texts);

  void configureTraining(const TrainingSpec& spec);
  TrainStepResult trainStep(const TrainStepRequest& request);
  /** Train-mode loss and its gradients, without touching accumulated gradients or the optimizer. */
  LossAndGradients lossAndGradients(const LossBatch& batch);
  /** Eval mode (no dropout), no autograd: the loss of one batch, as the HF Trainer's eval_loss computes it per batch. */
  double evaluationLoss(const LossBatch& batch);

  /** AdamW moments and steps, loss scale and RNG states (CPU, and CUDA when used) as safetensors. */
  void saveTrainingState(const std::string& path) const;
  void loadTrainingState(const std::string& path);

 private:
  PackedBatch pack(const PackedTexts& texts) const;
  /** Pooled (and normalized) fp32 embeddings; autocast applies to the encoder only. */
  at::Tensor embed(const PackedBatch& batch, bool training, Precision precision) const;
  /** The same for every hidden state of one forward (embedding output first, the last layer's last), for a
   *  loss that asks for them (BatchEmbedder::embedAllLayers): one pooling per layer, only then. */
  std::vector<at::Tensor> embedLayers(const PackedBatch& batch, bool training, Precision precision) const;
  /** The encoder's parameters, then every loss's own (lossParams_). */
  std::vector<std::pair<std::string, at::Tensor>> trainableParameters() const;
  /** The batch's loss through Loss::stage, which every engine call goes through: a plain loss gets one
   *  forward of all texts, a multi-forward loss (GradCache, a guide model) drives the encoder itself
   *  through a MicroBatchEmbedder. Its backward must run before `packed` and `batch` go. */
  StagedLoss stageLoss(const PackedBatch& packed, const LossBatch& batch, bool training = true) const;
  void zeroGrad();
  [[noreturn]] void rethrowOom(const PackedBatch& batch) const;

  at::Device device_;
  std::unique_ptr<Encoder> encoder_;  // the architecture config.json names (EncoderFactory.h)
  PoolingMode pooling_;
  bool normalize_;
  std::optional<TrainingSpec> spec_;
  std::vector<std::unique_ptr<Loss>> losses_;
  /** The losses' own parameters (Loss::parameters), as "losses.<i>.<name>": optimised, in the training state, not saved with the model. */
  std::vector<std::pair<std::string, at::Tensor>> lossParams_;
  std::unique_ptr<Optimizer> optimizer_;  // the one spec_.optimizer.name names (optimizers/Optimizer.h)
  GradScaler scaler_;
};

}  // namespace embedforge
