// Sentence-transformers Pooling over token embeddings (B, L, H) with a key mask (B, L) (true = real
// token) and lengths (B): cls = first token; mean = sum of real tokens / max(count, 1e-9); max = over
// real tokens only; lasttoken = token at length-1. Then an optional Normalize (F.normalize semantics).
#pragma once
#include <ATen/ATen.h>

#include <string>

namespace embedforge {

enum class PoolingMode { Cls, Mean, Max, LastToken };

/** "cls" | "mean" | "max" | "lasttoken"; throws naming the value otherwise. */
PoolingMode poolingModeFromName(const std::string& name);

/** (B, H) sentence embeddings. */
at::Tensor pool(const at::Tensor& tokens, const at::Tensor& mask, const at::Tensor& lengths, PoolingMode mode);

/** Rows scaled to unit 2-norm: x / max(||x||, 1e-12), as torch.nn.functional.normalize. */
at::Tensor normalizeRows(const at::Tensor& x);

}  // namespace embedforge
