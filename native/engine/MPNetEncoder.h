// The MPNet encoder (model_type "mpnet", all-mpnet-base-v2), over Hugging Face weight names without the
// "mpnet." prefix (load accepts it):
//   embeddings.{word,position}_embeddings.weight (V, H), (P, H); embeddings.LayerNorm.{weight,bias}
//   encoder.layer.N.attention.attn.{q,k,v,o}.{weight,bias} (H, H), (H)
//   encoder.layer.N.attention.LayerNorm.*, encoder.layer.N.intermediate.dense.* (I, H),
//   encoder.layer.N.output.dense.* (H, I), encoder.layer.N.output.LayerNorm.*
//   encoder.relative_attention_bias.weight (num_buckets, heads), shared by all layers.
// Per token at position p (0-based within its text), x = LN(word[id] + pos[p + 2]) (padding_idx 1, no token
// types); per layer x = LN(x + o(attn(x))), x = LN(x + W2 act(W1 x)), where attn adds to every score of
// query i and key j the bias row bucket(j - i) of its head:
//   n = i - j; bucket = 16 * (n < 0) + (|n| < 8 ? |n| : min(15, 8 + trunc(log(|n| / 8) / log(16) * 8)))
// with the logarithm in fp32 by the same ops as transformers, so that truncation agrees where the value
// lands on an integer (|n| = 16, 32, 64). Layer states stay packed (T, H); only attention pads
// (BiasedAttention.h). Parameters are fp32 master tensors with requires_grad; tensors of the file the
// encoder does not use (pooler.*, lm_head.*) are kept in extras and written back on save.
#pragma once
#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "MPNetConfig.h"
#include "PackedBatch.h"
#include "PretrainedEncoder.h"

namespace embedforge {

class MPNetEncoder : public PretrainedEncoder {
 public:
  MPNetEncoder(MPNetConfig config, at::Device device);

  const MPNetConfig& config() const { return config_; }
  EncoderConfig encoderConfig() const override;

  /** transformers' init: normal(0, initializer_range) for linear and embedding weights (the relative bias
   *  table too), zero biases, LayerNorm 1/0, row padding_idx = 1 of the word and position tables zero. */
  void init(uint64_t seed) override;

  at::Tensor forward(const PackedBatch& batch, bool training, std::vector<at::Tensor>* hiddenStates = nullptr) const override;
  std::unique_ptr<Encoder> createLike() const override;

  /** The bucket of each relative position j - i = r, for r in [-(maxTextLength - 1), maxTextLength - 1]
   *  at index r + maxTextLength - 1 (int64, on the CPU). */
  static at::Tensor relativePositionBuckets(int64_t maxTextLength);

 private:
  struct Layer {
    at::Tensor qW, qB, kW, kB, vW, vB, oW, oB, attnLnW, attnLnB, iW, iB, outW, outB, outLnW, outLnB;
  };
  void bindParameters();
  /** transformers' named_parameters order: embeddings, the layers, then the shared relative bias table. */
  Shapes expectedShapes() const override;
  /** (heads, L, L) score bias for texts padded to L tokens. */
  at::Tensor positionBias(int64_t length) const;

  MPNetConfig config_;
  at::Tensor wordEmb_, posEmb_, embLnW_, embLnB_, relBias_;
  at::Tensor bucketOfRelative_;  // relativePositionBuckets(maxTextLength) on the device
  std::vector<Layer> layers_;
};

}  // namespace embedforge
