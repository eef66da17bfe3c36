// Multi-head self-attention core, kept in one function so a varlen/flash path can replace it.
// q, k, v: (B, L, H) projections; keyMask: (B, L) bool, true = real token. Returns (B, L, H).
// Heads split as (B, nh, L, H/nh); scaling 1/sqrt(H/nh) as in BERT; dropout on the attention
// probabilities with probability dropoutP (the caller passes 0 in eval mode).
#pragma once
#include <ATen/ATen.h>

namespace embedforge {

at::Tensor selfAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& keyMask,
                         int64_t numHeads, double dropoutP);

}  // namespace embedforge
