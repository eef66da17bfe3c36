// GradCache's three steps (GradCache.h).
#include "GradCache.h"

#include <ATen/core/grad_mode.h>
#include <c10/util/Exception.h>

#include <algorithm>

namespace embedforge {

MiniBatchRanges miniBatchRanges(const BatchEmbedder& embedder, int64_t miniBatch, int64_t numTokens) {
  TORCH_CHECK(miniBatch > 0, "mini_batch_size must be positive, got ", miniBatch);
  const int64_t rows = embedder.rows();
  MiniBatchRanges ranges(embedder.numColumns());
  for (int64_t c = 0; c < embedder.numColumns(); ++c) {
    if (numTokens <= 0) {
      for (int64_t begin = 0; begin < rows; begin += miniBatch) ranges[c].emplace_back(begin, std::min(begin + miniBatch, rows));
      continue;
    }
    // cuSeqlens[i] = tokens of texts [0, i): a range grows while its texts' tokens stay within the budget.
    const std::vector<int32_t> cu = embedder.texts(c, 0, rows).cuSeqlens;
    for (int64_t begin = 0; begin < rows;) {
      int64_t end = begin + 1;  // a text longer than the budget still makes progress, alone
      while (end < rows && cu[end + 1] - cu[begin] <= numTokens) ++end;
      ranges[c].emplace_back(begin, end);
      begin = end;
    }
  }
  return ranges;
}

std::vector<at::Tensor> embedWithoutGraph(BatchEmbedder& embedder, const MiniBatchRanges& ranges) {
  std::vector<at::Tensor> leaves;
  for (int64_t c = 0; c < embedder.numColumns(); ++c) {
    std::vector<at::Tensor> parts;
    for (const auto& [begin, end] : ranges[c]) parts.push_back(embedder.embed(c, begin, end, /*withGrad=*/false));
    // Without grad mode (evaluation), nothing is back-propagated: plain tensors, as sentence-transformers does.
    at::Tensor column = at::cat(parts, 0).detach();
    leaves.push_back(at::GradMode::is_enabled() ? column.requires_grad_(true) : column);
  }
  return leaves;
}

std::vector<at::Tensor> embedWithoutGraph(BatchEmbedder& embedder, int64_t miniBatch) {
  return embedWithoutGraph(embedder, miniBatchRanges(embedder, miniBatch, 0));
}

at::Tensor chunkedLoss(int64_t rows, int64_t chunk, const ChunkLoss& chunkLoss, bool backward) {
  TORCH_CHECK(chunk > 0, "mini_batch_size must be positive, got ", chunk);
  at::Tensor total;
  for (int64_t begin = 0; begin < rows; begin += chunk) {
    at::Tensor part = chunkLoss(begin, std::min(begin + chunk, rows));
    if (backward) {
      part.backward();
      part = part.detach();
    }
    total = total.defined() ? total + part : part;
  }
  return total;
}

std::function<void(const at::Tensor&)> replayBackward(BatchEmbedder& embedder, MiniBatchRanges ranges, std::vector<at::Tensor> leaves) {
  if (!at::GradMode::is_enabled()) {
    return [](const at::Tensor&) { TORCH_CHECK(false, "this loss was computed without gradients; it has no backward"); };
  }
  std::vector<at::Tensor> cache;
  for (size_t c = 0; c < leaves.size(); ++c) {
    // sentence-transformers refuses a loss that ignores a column too: it was embedded twice for nothing.
    TORCH_CHECK(leaves[c].grad().defined(), "the loss did not use input column ", c,
                ": its embeddings received no gradient; remove the column from the data");
    cache.push_back(leaves[c].grad());
  }
  return [&embedder, ranges = std::move(ranges), cache, leaves](const at::Tensor& gradOutput) {
    at::AutoGradMode enable(true);
    // The cached gradients belong to the first pass's embeddings: the replay must reproduce them (the
    // same dropout masks). Its largest deviation, relative to the embeddings' size, is checked once at
    // the end (one device sync): rounding stays far below the bound, a different dropout mask far above.
    at::Tensor worst;
    for (int64_t c = 0; c < static_cast<int64_t>(cache.size()); ++c) {
      for (const auto& [begin, end] : ranges[c]) {
        at::Tensor reps = embedder.embed(c, begin, end, /*withGrad=*/true);
        at::Tensor first = leaves[c].detach().narrow(0, begin, end - begin);
        at::Tensor deviation = (reps.detach() - first).abs().max() / first.abs().max().clamp_min(1e-12);
        worst = worst.defined() ? at::maximum(worst, deviation) : deviation;
        reps.backward(cache[c].narrow(0, begin, end - begin) * gradOutput.to(reps.device()));
      }
    }
    const double deviation = worst.item<double>();
    TORCH_CHECK(deviation <= 1e-2, "GradCache: the second forward of a mini-batch differs from the first by ", deviation,
                " (relative): its random state was not replayed, or the encoder is not deterministic");
  };
}

std::function<void(const at::Tensor&)> replayBackward(BatchEmbedder& embedder, int64_t miniBatch, std::vector<at::Tensor> leaves) {
  return replayBackward(embedder, miniBatchRanges(embedder, miniBatch, 0), std::move(leaves));
}

StagedLoss gradCacheStage(BatchEmbedder& embedder, const MiniBatchRanges& ranges, int64_t chunkRows,
                          const std::function<at::Tensor(const std::vector<at::Tensor>&, int64_t, int64_t)>& chunkLoss) {
  std::vector<at::Tensor> leaves = embedWithoutGraph(embedder, ranges);
  at::Tensor value = chunkedLoss(embedder.rows(), chunkRows, [&](int64_t b, int64_t e) { return chunkLoss(leaves, b, e); },
                                 /*backward=*/at::GradMode::is_enabled());
  return {value, replayBackward(embedder, ranges, std::move(leaves))};
}

StagedLoss gradCacheStage(BatchEmbedder& embedder, int64_t miniBatch,
                          const std::function<at::Tensor(const std::vector<at::Tensor>&, int64_t, int64_t)>& chunkLoss) {
  return gradCacheStage(embedder, miniBatchRanges(embedder, miniBatch, 0), miniBatch, chunkLoss);
}

}  // namespace embedforge
