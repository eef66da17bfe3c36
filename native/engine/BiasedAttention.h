// Multi-head self-attention over packed texts with an additive score bias (MPNet's relative position
// bias). q, k, v: (T, heads, headDim); returns the context (T, heads * headDim):
//   softmax(q k^T / sqrt(headDim) + bias + keyPadding) v, dropout dropoutP on the probabilities when training.
// One path on every device: the varlen flash kernel takes no additive bias, so the texts are scattered to a
// padded (B, heads, Lmax, headDim) layout and run through at::scaled_dot_product_attention with the bias
// and the key-padding mask (-inf on padded keys) folded into one additive float mask (B, heads, Lmax,
// Lmax). SDPA then picks the fastest kernel that takes such a mask: the memory-efficient kernel on CUDA
// (fp32 or autocast half, with a gradient for the mask, hence for the bias); on the CPU its flash kernel
// when encoding and the math kernel when training (the mask needs a gradient, which the CPU flash lacks).
// The mask is built once per forward and shared by all layers, so autograd keeps one copy, not one per
// layer. varlenSelfAttention (Attention.h), BERT's path, is untouched.
#pragma once
#include <ATen/ATen.h>

#include "PackedBatch.h"

namespace embedforge {

/** bias (heads, Lmax, Lmax), for query row i and key column j within a text, Lmax = batch.maxLength ->
 *  the additive mask (B, heads, Lmax, Lmax): the bias, -inf on each text's padded keys; in the autocast
 *  dtype when CUDA autocast runs in bf16/fp16 (so SDPA's autocast does not cast it again in every layer). */
at::Tensor biasedAttentionMask(const at::Tensor& bias, const PackedBatch& batch);

/** mask from biasedAttentionMask for this batch. */
at::Tensor biasedSelfAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& mask,
                               const PackedBatch& batch, double dropoutP, bool training);

}  // namespace embedforge
