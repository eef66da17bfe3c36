// Exact top-k search: queries (Q, D) against corpus (N, D) fp32 row-major; similarity cosine (both
// sides normalized first) or dot. k is capped at N. The corpus is scored in chunks of 50k rows and the
// queries in blocks, keeping at most ~64M scores alive, and the per-chunk top-k lists are merged.
// Returns indices (Q, k) int32 and scores (Q, k) fp32 on the CPU, best first.
#pragma once
#include <ATen/ATen.h>

#include <string>
#include <utility>

namespace embedforge {

std::pair<at::Tensor, at::Tensor> searchTopK(const at::Tensor& queries, const at::Tensor& corpus, int64_t k, bool cosine,
                                             const at::Device& device);

}  // namespace embedforge
