// CachedGISTEmbedLoss: GISTEmbedLoss computed with GradCache (GradCache.h), as sentence-transformers 6
// computes it (the guide and the formula: Gist.h).
// Inputs: columns (anchor, positive, negative_1, ..., negative_n), each (B, D); no labels.
//   step 1: each mini-batch of mini_batch_size rows of each column is embedded by the model (no graph)
//           and by the guide;
//   step 2: loss = sum over anchor chunks [b, e) of mini_batch_size rows of gistChunkLoss(b, e),
//           each chunk back-propagated to the cached embeddings;
//   step 3: at backward the model re-embeds each mini-batch with autograd and takes its cached gradient.
#include <ATen/core/grad_mode.h>
#include <c10/util/Exception.h>

#include <algorithm>

#include "Gist.h"
#include "GradCache.h"
#include "LossRegistry.h"

namespace embedforge {

namespace {

class CachedGISTEmbedLoss : public Loss {
 public:
  CachedGISTEmbedLoss(GistOptions options, int64_t miniBatchSize, std::unique_ptr<GuideModel> guide)
      : options_(options), miniBatchSize_(miniBatchSize), guide_(std::move(guide)) {}

  std::string name() const override { return "CachedGISTEmbedLoss"; }

  at::Tensor compute(const LossInputs&) const override {
    TORCH_CHECK(false, name(), " runs its guide model on the batch's token ids, so it cannot be wrapped by a modifier that hands it "
                "embeddings only");
  }

  StagedLoss stage(BatchEmbedder& embedder, const at::Tensor& labels) const override {
    LossInputs shape{std::vector<at::Tensor>(embedder.numColumns()), labels};
    requireColumns(*this, shape, 2, -1, "(anchor, positive[, negative...]) columns");
    rejectLabels(*this, shape);
    const int64_t rows = embedder.rows();
    std::vector<at::Tensor> leaves = embedWithoutGraph(embedder, miniBatchSize_);
    // The guide in the same mini-batches (it holds no graph either way; this bounds its activations too).
    std::vector<std::vector<at::Tensor>> parts(embedder.numColumns());
    for (int64_t begin = 0; begin < rows; begin += miniBatchSize_) {
      std::vector<at::Tensor> part = guide_->embedColumns(embedder, begin, std::min(begin + miniBatchSize_, rows));
      for (size_t c = 0; c < part.size(); ++c) parts[c].push_back(part[c]);
    }
    std::vector<at::Tensor> guide;
    for (const auto& p : parts) guide.push_back(at::cat(p, 0));
    at::Tensor value = chunkedLoss(
        rows, miniBatchSize_, [&](int64_t b, int64_t e) { return gistChunkLoss(leaves, guide, options_, b, e); },
        /*backward=*/at::GradMode::is_enabled());
    return {value, replayBackward(embedder, miniBatchSize_, std::move(leaves))};
  }

 private:
  GistOptions options_;
  int64_t miniBatchSize_;
  std::unique_ptr<GuideModel> guide_;
};

}  // namespace

std::unique_ptr<Loss> makeCachedGISTEmbedLoss(const LossSpec& spec, const LossContext& context) {
  const int64_t miniBatchSize = spec.integer("miniBatchSize");
  TORCH_CHECK(miniBatchSize > 0, spec.name(), ": miniBatchSize must be positive, got ", miniBatchSize);
  return std::make_unique<CachedGISTEmbedLoss>(GistOptions::fromSpec(spec), miniBatchSize, std::make_unique<GuideModel>(spec, context.vocabSize));
}

}  // namespace embedforge
