// The transformer under a sentence-transformers model, whatever its architecture: packed, unpadded token ids
// in, packed token states (T, H) out. One implementation per architecture (BertEncoder.h); createEncoder
// (EncoderFactory.h) picks it by config.json's model_type. Pooling, the losses, the optimizer, encode and
// search see only this interface; a loss that needs one architecture's internals (the TSDAE decoder tied to
// BERT's weights) casts to that type and refuses the others by name.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "PackedBatch.h"

namespace embedforge {

/** What callers outside the architecture need to know of its config.json. */
struct EncoderConfig {
  std::string modelType;
  int64_t hiddenSize = 0;
  int64_t vocabSize = 0;
  int64_t maxSequenceLength = 0;  // the longest text in tokens the position table allows
  int64_t numHiddenLayers = 0;
};

class Encoder {
 public:
  virtual ~Encoder() = default;

  virtual EncoderConfig encoderConfig() const = 0;
  virtual const at::Device& device() const = 0;
  /** Trainable fp32 parameters with requires_grad, in a fixed order, named as Hugging Face names them
   *  without the architecture's prefix ("bert.", ...). */
  virtual const std::vector<std::pair<std::string, at::Tensor>>& parameters() const = 0;
  virtual std::vector<std::string> parameterNames() const = 0;
  /** True for parameters the HF Trainer decays (not biases, not LayerNorm weights). */
  virtual bool decays(const std::string& name) const = 0;

  /** Loads safetensors by Hugging Face names (the prefix optional); checks presence and shape of every parameter. */
  virtual void load(const std::string& path) = 0;
  /** Parameters (and tensors loaded but unused) as F32 safetensors. */
  virtual void save(const std::string& path) const = 0;
  /** The architecture's own initialisation, seeded. */
  virtual void init(uint64_t seed) = 0;

  /** (T, H) packed token states; training enables dropout as the config says. hiddenStates, when given,
   *  receives every hidden state as transformers' output_hidden_states lists them: numHiddenLayers + 1
   *  tensors (T, H), the embedding layer's output first, the last one the returned tensor. */
  virtual at::Tensor forward(const PackedBatch& batch, bool training, std::vector<at::Tensor>* hiddenStates = nullptr) const = 0;

  /** A new encoder of the same architecture, config and device, parameters zero (a model copy fills them). */
  virtual std::unique_ptr<Encoder> createLike() const = 0;

  /** gradient_checkpointing: training forwards run each layer through runLayer (LayerCheckpoint.h). */
  void setGradientCheckpointing(bool on) { gradientCheckpointing_ = on; }

 protected:
  bool gradientCheckpointing_ = false;
};

}  // namespace embedforge
