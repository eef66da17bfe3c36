// The decoder of TSDAE (DenoisingAutoEncoderLoss): transformers' BertLMHeadModel built from the encoder's
// config with is_decoder = True and add_cross_attention = True, its "bert.*" weights tied to the encoder's
// (sentence-transformers' tie_encoder_decoder = True), as in sentence-transformers 6.
// Input: ids (B, L) int64 decoder input ids (padded rows; the padding is attended causally, as transformers
// does without an attention mask, and so never reaches a real position), memory (B, H) the sentence embedding
// of each row, the single token every decoder position cross-attends to. Output: logits (B, L, vocab).
//   x = LayerNorm(word[ids] + type[0] + pos[0..L)), dropout
//   per layer: x = LN(x + drop(O(causal self-attention(x))))          (the encoder's tensors)
//              x = LN'(x + drop(O'(cross-attention(x -> memory))))    (the decoder's own tensors)
//              x = LN(x + drop(W2 act(W1 x)))                         (the encoder's tensors)
//   logits = LayerNorm_t(act(dense_t(x))) word^T + bias               (cls.predictions; word tied)
// Cross-attention over one memory token: softmax over one key is 1 (then attention dropout), so the
// context is value(memory) broadcast over positions; the query/key projections are computed all the same,
// as transformers does, and their gradient is analytically 0.
// The decoder's own parameters are named as in sentence-transformers' loss module ("decoder.bert.encoder.
// layer.N.crossattention.*", "decoder.cls.predictions.*").
#pragma once
#include <ATen/ATen.h>

#include <string>
#include <utility>
#include <vector>

#include "BertEncoder.h"

namespace embedforge {

class BertDecoder {
 public:
  using Named = std::vector<std::pair<std::string, at::Tensor>>;

  /** Names and shapes of the decoder's own parameters (those the encoder has no tensor for), in a fixed order. */
  static std::vector<std::pair<std::string, std::vector<int64_t>>> ownShapes(const BertConfig& config);

  /** encoder: the model whose tensors the decoder shares (it must outlive the decoder); own: every ownShapes()
   *  entry, leaves with requires_grad on the encoder's device. */
  BertDecoder(const BertEncoder& encoder, Named ownParams);

  const Named& ownParameters() const { return own_; }
  at::Tensor forward(const at::Tensor& ids, const at::Tensor& memory, bool training) const;

 private:
  struct CrossAttention {
    at::Tensor qW, qB, kW, kB, vW, vB, oW, oB, lnW, lnB;
  };
  const at::Tensor& shared(const std::string& name) const;
  const at::Tensor& ownTensor(const std::string& name) const;

  const BertEncoder& encoder_;
  Named own_;
  std::vector<CrossAttention> cross_;
  at::Tensor headW_, headB_, headLnW_, headLnB_, outputBias_;
};

}  // namespace embedforge
