// Multi-head self-attention over packed texts. q, k, v: (T, heads, headDim), T = total real tokens
// of the batch; returns the context (T, heads * headDim). Each text attends only to its own tokens
// (bidirectional, no causal mask); scaling 1/sqrt(headDim) as in BERT; dropout with probability
// dropoutP on the attention probabilities when training.
// Two paths, same result up to rounding:
// - varlen flash attention (at::_flash_attention_forward, which has its own backward) on CUDA while
//   autocast runs in bf16/fp16, straight on the packed tensors;
// - otherwise (CPU, CUDA fp32, head sizes flash does not take): scatter to padded (B, heads, Lmax,
//   headDim) with the batch's padIndex, at::scaled_dot_product_attention with its key-padding mask,
//   gather back to (T, ...).
#pragma once
#include <ATen/ATen.h>

#include "PackedBatch.h"

namespace embedforge {

at::Tensor varlenSelfAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const PackedBatch& batch,
                               double dropoutP, bool training);

}  // namespace embedforge
