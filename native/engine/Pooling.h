// Sentence-transformers Pooling over packed token embeddings (T, H), segment by segment (one segment
// per text, PackedBatch.h): cls = the text's first token; mean = sum of its tokens / its length (ST
// divides by max(count, 1e-9), and a packed text has at least 1 token); max = elementwise max over
// its tokens; lasttoken = its last token. Then an optional Normalize (F.normalize semantics).
#pragma once
#include <ATen/ATen.h>

#include <string>

#include "PackedBatch.h"

namespace embedforge {

enum class PoolingMode { Cls, Mean, Max, LastToken };

/** "cls" | "mean" | "max" | "lasttoken"; throws naming the value otherwise. */
PoolingMode poolingModeFromName(const std::string& name);

/** (B, H) sentence embeddings from (T, H) packed token embeddings. */
at::Tensor pool(const at::Tensor& tokens, const PackedBatch& batch, PoolingMode mode);

/** Rows scaled to unit 2-norm: x / max(||x||, 1e-12), as torch.nn.functional.normalize. */
at::Tensor normalizeRows(const at::Tensor& x);

}  // namespace embedforge
