// CachedMultipleNegativesRankingLoss: MultipleNegativesRankingLoss computed with GradCache
// (GradCache.h), as sentence-transformers 6 computes it.
// Inputs: columns (anchor, positive, negative_1, ..., negative_n), each (B, D); no labels.
//   candidates = [positives; negatives_1; ...; negatives_n]                       (B * (C - 1), D)
//   for each chunk of rows [b, e) of mini_batch_size anchors:
//     scores = scale * sim(anchors[b:e], candidates)                              (e - b, B * (C - 1))
//     part   = mean_i( logsumexp_j scores[i, j] - scores[i, b + i] ) * (e - b) / B
//   loss = sum of the parts = MultipleNegativesRankingLoss's value; the encoder runs in mini-batches of
//   mini_batch_size texts (or, with miniBatchNumTokens, as many consecutive texts as fit in that many tokens), so only
//   one mini-batch of activations is alive at a time.
// MultipleNegativesRankingLoss' options (directions, partitionMode, hardness) apply to each chunk's rows as to the
// whole batch's (InBatchRanking.h): every chunk row still sees every query and document of the batch.
// compute() (one chunk, the whole batch) is the same loss for a modifier that hands it embeddings.
#include <c10/util/Exception.h>

#include "GradCache.h"
#include "LossRegistry.h"
#include "InBatchRanking.h"

namespace embedforge {

namespace {

class CachedMultipleNegativesRankingLoss : public Loss {
 public:
  CachedMultipleNegativesRankingLoss(std::string name, InBatchRankingOptions options, int64_t miniBatchSize, int64_t miniBatchNumTokens)
      : name_(std::move(name)), options_(options), miniBatchSize_(miniBatchSize), miniBatchNumTokens_(miniBatchNumTokens) {}

  std::string name() const override { return name_; }

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
    return -inBatchRankingLogLikelihood(columns, begin, end, options_).mean() * rows / batch;
  }

  std::string name_;
  InBatchRankingOptions options_;
  int64_t miniBatchSize_;
  int64_t miniBatchNumTokens_;  // 0: mini-batches of miniBatchSize_ texts
};

}  // namespace

std::unique_ptr<Loss> makeCachedInBatchRankingLoss(std::string name, InBatchRankingOptions options, const LossSpec& spec) {
  const int64_t miniBatchSize = spec.integer("miniBatchSize");
  TORCH_CHECK(miniBatchSize > 0, spec.name(), ": miniBatchSize must be positive, got ", miniBatchSize);
  int64_t miniBatchNumTokens = 0;
  if (spec.has("miniBatchNumTokens")) {
    miniBatchNumTokens = spec.integer("miniBatchNumTokens");
    TORCH_CHECK(miniBatchNumTokens > 0, spec.name(), ": miniBatchNumTokens must be positive (or absent), got ", miniBatchNumTokens);
  }
  return std::make_unique<CachedMultipleNegativesRankingLoss>(std::move(name), options, miniBatchSize, miniBatchNumTokens);
}

std::unique_ptr<Loss> makeCachedMultipleNegativesRankingLoss(const LossSpec& spec, const LossContext&) {
  return makeCachedInBatchRankingLoss(spec.name(), inBatchRankingOptions(spec), spec);
}

}  // namespace embedforge
