// CachedMultipleNegativesSymmetricRankingLoss: MultipleNegativesSymmetricRankingLoss computed with
// GradCache (GradCache.h), as sentence-transformers 6 computes it (CachedMultipleNegativesRankingLoss
// with directions query_to_doc and doc_to_query, one softmax per direction).
// Inputs: columns (anchor, positive, negative_1, ...), each (B, D); no labels.
//   for each chunk of rows [b, e) of mini_batch_size:
//     forward  = scale * sim(anchors[b:e], [positives; negatives...])   (e - b, B * (C - 1))
//     backward = scale * sim(positives[b:e], anchors)                   (e - b, B)
//     part     = mean_i( (lse(forward[i]) + lse(backward[i])) / 2 - forward[i, b + i] ) * (e - b) / B
//   loss = sum of the parts = MultipleNegativesSymmetricRankingLoss's value.
// The encoder's mini-batches: mini_batch_size texts, or as many as fit in miniBatchNumTokens tokens (GradCache.h).
#include <c10/util/Exception.h>

#include "GradCache.h"
#include "LossRegistry.h"
#include "Similarity.h"

namespace embedforge {

namespace {

class CachedMultipleNegativesSymmetricRankingLoss : public Loss {
 public:
  CachedMultipleNegativesSymmetricRankingLoss(double scale, SimilarityFunction similarity, int64_t miniBatchSize, int64_t miniBatchNumTokens)
      : scale_(scale), similarity_(similarity), miniBatchSize_(miniBatchSize), miniBatchNumTokens_(miniBatchNumTokens) {}

  std::string name() const override { return "CachedMultipleNegativesSymmetricRankingLoss"; }

  at::Tensor compute(const LossInputs& in) const override {
    check(in);
    return chunk(in.columns, 0, in.batchSize());
  }

  StagedLoss stage(BatchEmbedder& embedder, const at::Tensor& labels) const override {
    check(LossInputs{std::vector<at::Tensor>(embedder.numColumns()), labels});
    return gradCacheStage(embedder, miniBatchRanges(embedder, miniBatchSize_, miniBatchNumTokens_), miniBatchSize_,
                          [this](const std::vector<at::Tensor>& columns, int64_t b, int64_t e) { return chunk(columns, b, e); });
  }

 private:
  void check(const LossInputs& in) const {
    requireColumns(*this, in, 2, -1, "(anchor, positive[, negative...]) columns");
    rejectLabels(*this, in);
  }

  at::Tensor chunk(const std::vector<at::Tensor>& columns, int64_t begin, int64_t end) const {
    const int64_t batch = columns[0].size(0), rows = end - begin;
    const at::Tensor& anchors = columns[0];
    at::Tensor candidates = at::cat(std::vector<at::Tensor>(columns.begin() + 1, columns.end()), 0);
    at::Tensor forward = pairwiseSimilarity(anchors.narrow(0, begin, rows), candidates, similarity_) * scale_;
    at::Tensor positive = forward.narrow(1, begin, rows).diagonal();
    at::Tensor backward = pairwiseSimilarity(columns[1].narrow(0, begin, rows), anchors, similarity_) * scale_;
    at::Tensor logZ = (at::logsumexp(forward, {1}) + at::logsumexp(backward, {1})) / 2.0;
    return -(positive - logZ).mean() * rows / batch;
  }

  double scale_;
  SimilarityFunction similarity_;
  int64_t miniBatchSize_;
  int64_t miniBatchNumTokens_;  // 0: mini-batches of miniBatchSize_ texts
};

}  // namespace

std::unique_ptr<Loss> makeCachedMultipleNegativesSymmetricRankingLoss(const LossSpec& spec, const LossContext&) {
  const double scale = spec.number("scale");
  TORCH_CHECK(scale > 0, spec.name(), ": scale must be positive, got ", scale);
  const int64_t miniBatchSize = spec.integer("miniBatchSize");
  TORCH_CHECK(miniBatchSize > 0, spec.name(), ": miniBatchSize must be positive, got ", miniBatchSize);
  int64_t miniBatchNumTokens = 0;
  if (spec.has("miniBatchNumTokens")) {
    miniBatchNumTokens = spec.integer("miniBatchNumTokens");
    TORCH_CHECK(miniBatchNumTokens > 0, spec.name(), ": miniBatchNumTokens must be positive (or absent), got ", miniBatchNumTokens);
  }
  return std::make_unique<CachedMultipleNegativesSymmetricRankingLoss>(
      scale, similarityFromName(spec.string("similarity"), spec.name()), miniBatchSize, miniBatchNumTokens);
}

}  // namespace embedforge
