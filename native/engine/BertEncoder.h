// The BERT encoder, also RoBERTa / XLM-RoBERTa (the same layers; positions from pad_token_id + 1, one token
// type, "roberta." prefix: BertConfig::robertaFromJson), over Hugging Face weight names (no prefix):
// embeddings.{word,position,token_type}_embeddings.weight, embeddings.LayerNorm.{weight,bias},
// encoder.layer.N.attention.self.{query,key,value}.{weight,bias}, encoder.layer.N.attention.output.dense.*,
// encoder.layer.N.attention.output.LayerNorm.*, encoder.layer.N.intermediate.dense.*,
// encoder.layer.N.output.dense.*, encoder.layer.N.output.LayerNorm.*.
// Linear weights are (out, in) as in torch.nn.Linear. forward maps a PackedBatch to packed token
// embeddings (T, H): every layer but attention works on the T real tokens only. Parameters are fp32 "master" tensors with requires_grad; tensors the encoder does not use
// (pooler.*, embeddings.position_ids, ...) are kept in `extras` and written back on save.
#pragma once
#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "BertConfig.h"
#include "PackedBatch.h"
#include "PretrainedEncoder.h"

namespace embedforge {

class BertEncoder : public PretrainedEncoder {
 public:
  BertEncoder(BertConfig config, at::Device device);

  const BertConfig& config() const { return config_; }
  EncoderConfig encoderConfig() const override;

  /** BERT init: normal(0, initializer_range) weights, zero biases, LayerNorm 1/0, zero padding row. */
  void init(uint64_t seed) override;

  /** (T, H) packed token embeddings; training enables dropout as the config says. hiddenStates, when
   *  given, receives every hidden state as transformers' output_hidden_states lists them: num_hidden_layers
   *  + 1 tensors (T, H), the embedding layer's output first, the last one the returned tensor. */
  at::Tensor forward(const PackedBatch& batch, bool training, std::vector<at::Tensor>* hiddenStates = nullptr) const override;
  std::unique_ptr<Encoder> createLike() const override;

 private:
  struct Layer {
    at::Tensor qW, qB, kW, kB, vW, vB, aoW, aoB, aoLnW, aoLnB, iW, iB, oW, oB, oLnW, oLnB;
  };
  void bindLayers();
  /** Embeddings, then layer by layer; the prefix ("bert." / "roberta.") as the config says. */
  Shapes expectedShapes() const override;

  BertConfig config_;
  at::Tensor wordEmb_, posEmb_, typeEmb_, embLnW_, embLnB_;
  std::vector<Layer> layers_;
};

}  // namespace embedforge
