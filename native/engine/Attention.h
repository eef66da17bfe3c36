// Multi-head self-attention over packed texts. q, k, v: (T, heads, headDim), T = total real tokens
// of the batch; returns the context (T, heads * headDim). Each text attends only to its own tokens
// (bidirectional, no causal mask); scaling 1/sqrt(headDim) as in BERT; dropout with probability
// dropoutP on the attention probabilities when training. With a window w (ModernBERT's local layers),
// the query at position i sees only the keys j of its text with |i - j| <= w.
// Two paths, same result up to rounding:
// - varlen flash attention (at::_flash_attention_forward, which has its own backward) on CUDA while
//   autocast runs in bf16/fp16, straight on the packed tensors (a window goes to its window_size_left /
//   window_size_right arguments, which its backward receives too);
// - otherwise (CPU, CUDA fp32, head sizes flash does not take): scatter to padded (B, heads, Lmax,
//   headDim) with the batch's padIndex, at::scaled_dot_product_attention with its key-padding mask
//   (and with a window, a band mask |i - j| <= w on top), gather back to (T, ...). On the CPU the texts
//   are first cut into length groups (sorted by length, the cut that minimises padded work) and each
//   group pads only to its own longest text: a training batch's short anchors no longer pad to its
//   longest passage, which cuts the (n, heads, L, L) scores, softmax and dropout work and memory.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <optional>

#include "PackedBatch.h"

namespace embedforge {

at::Tensor varlenSelfAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const PackedBatch& batch,
                               double dropoutP, bool training, std::optional<int64_t> window = std::nullopt);

}  // namespace embedforge
