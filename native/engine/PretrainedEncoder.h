// What every architecture's encoder shares: its trainable parameters as fp32 tensors named as Hugging Face names
// them (without the architecture's prefix: "bert.", "roberta.", "mpnet.", "model."), loaded from and saved to
// safetensors. A loaded file's tensors the encoder does not use (pooler.*, an MLM head) are kept as extras and
// written back on save, so that a folder round-trips whole.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "Encoder.h"
#include "Safetensors.h"

namespace embedforge {

class PretrainedEncoder : public Encoder {
 public:
  const at::Device& device() const override { return device_; }
  /** Trainable parameters with requires_grad, in expectedShapes()' order. */
  const std::vector<std::pair<std::string, at::Tensor>>& parameters() const override { return params_; }
  std::vector<std::string> parameterNames() const override;
  /** The HF Trainer's rule for names as BERT-style models give them: no bias (MPNet's relative_attention_bias
   *  included) and nothing inside a LayerNorm decays. */
  bool decays(const std::string& name) const override;
  /** Tensors of the loaded file the encoder does not use (names without the prefix). */
  const TensorMap& extras() const { return extras_; }

  /** Loads safetensors (the prefix optional); checks presence, shape, dtype and finiteness of every parameter
   *  before replacing any, so that a bad file leaves the model as it was. */
  void load(const std::string& path) override;
  /** Parameters and extras as F32 safetensors, names without the prefix. */
  void save(const std::string& path) const override;

 protected:
  using Shapes = std::vector<std::pair<std::string, std::vector<int64_t>>>;

  PretrainedEncoder(at::Device device, std::string weightPrefix) : device_(device), weightPrefix_(std::move(weightPrefix)) {}
  /** The parameters the config asks for, by name and shape. */
  virtual Shapes expectedShapes() const = 0;
  /** Fills params_ with zeros of expectedShapes() (called by the derived constructor, once its config is set). */
  void allocateParameters();
  at::Tensor& param(const std::string& name);
  const at::Tensor& param(const std::string& name) const;
  /** The named parameter, or an undefined tensor (an absent bias), which at::linear / at::layer_norm take as none. */
  at::Tensor paramOrNone(const std::string& name) const;

  at::Device device_;
  std::string weightPrefix_;
  std::vector<std::pair<std::string, at::Tensor>> params_;
  TensorMap extras_;
};

}  // namespace embedforge
