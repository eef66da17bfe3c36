// CachedMultipleNegativesRankingLoss: MultipleNegativesRankingLoss computed with GradCache
// (GradCache.h), as sentence-transformers 6 computes it.
// Inputs: columns (anchor, positive, negative_1, ..., negative_n), each (B, D); no labels.
//   candidates = [positives; negatives_1; ...; negatives_n]                       (B * (C - 1), D)
//   for each chunk of rows [b, e) of mini_batch_size anchors:
//     scores = scale * sim(anchors[b:e], candidates)                              (e - b, B * (C - 1))
//     part   = mean_i( logsumexp_j scores[i, j] - scores[i, b + i] ) * (e - b) / B
//   loss = sum of the parts = MultipleNegativesRankingLoss's value; the encoder runs in mini-batches of
//   mini_batch_size texts, so only one mini-batch of activations is alive at a time.
// compute() (one chunk, the whole batch) is the same loss for a modifier that hands it embeddings.
#include <c10/util/Exception.h>

#include "GradCache.h"
#include "LossRegistry.h"
#include "Similarity.h"

namespace embedforge {

namespace {

class CachedMultipleNegativesRankingLoss : public Loss {
 public:
  CachedMultipleNegativesRankingLoss(double scale, SimilarityFunction similarity, int64_t miniBatchSize)
      : scale_(scale), similarity_(similarity), miniBatchSize_(miniBatchSize) {}

  std::string name() const override { return "CachedMultipleNegativesRankingLoss"; }

  at::Tensor compute(const LossInputs& in) const override {
    check(in);
    return chunk(in.columns, 0, in.batchSize());
  }

  StagedLoss stage(BatchEmbedder& embedder, const at::Tensor& labels) const override {
    check(LossInputs{std::vector<at::Tensor>(embedder.numColumns()), labels});
    return gradCacheStage(embedder, miniBatchSize_,
                          [this](const std::vector<at::Tensor>& columns, int64_t b, int64_t e) { return chunk(columns, b, e); });
  }

 private:
  void check(const LossInputs& in) const {
    requireColumns(*this, in, 2, -1, "(anchor, positive[, negative...]) columns");
    rejectLabels(*this, in);
  }

  at::Tensor chunk(const std::vector<at::Tensor>& columns, int64_t begin, int64_t end) const {
    const int64_t batch = columns[0].size(0), rows = end - begin;
    at::Tensor candidates = at::cat(std::vector<at::Tensor>(columns.begin() + 1, columns.end()), 0);
    at::Tensor scores = pairwiseSimilarity(columns[0].narrow(0, begin, rows), candidates, similarity_) * scale_;
    at::Tensor positive = scores.narrow(1, begin, rows).diagonal();
    return -(positive - at::logsumexp(scores, {1})).mean() * rows / batch;
  }

  double scale_;
  SimilarityFunction similarity_;
  int64_t miniBatchSize_;
};

}  // namespace

std::unique_ptr<Loss> makeCachedMultipleNegativesRankingLoss(const LossSpec& spec, const LossContext&) {
  const double scale = spec.number("scale");
  TORCH_CHECK(scale > 0, spec.name(), ": scale must be positive, got ", scale);
  const int64_t miniBatchSize = spec.integer("miniBatchSize");
  TORCH_CHECK(miniBatchSize > 0, spec.name(), ": miniBatchSize must be positive, got ", miniBatchSize);
  return std::make_unique<CachedMultipleNegativesRankingLoss>(scale, similarityFromName(spec.string("similarity"), spec.name()),
                                                              miniBatchSize);
}

}  // namespace embedforge
