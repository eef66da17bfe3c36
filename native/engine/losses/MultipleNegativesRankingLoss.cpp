// MultipleNegativesRankingLoss (InfoNCE with in-batch negatives), as sentence-transformers 6 computes it.
// Inputs: columns (anchor, positive, negative_1, ..., negative_n), each (B, D); no labels.
// Defaults (directions query_to_doc, no hardness):
//   candidates = [positives; negatives_1; ...; negatives_n]         (B * (C - 1), D)
//   scores     = scale * sim(anchors, candidates)                  (B, B * (C - 1))
//   loss       = mean_i( logsumexp_j scores[i, j] - scores[i, i] )  (cross-entropy, target = own positive)
// The options directions, partitionMode, hardnessMode and hardnessStrength add score rows or weights:
// InBatchRanking.h. The loss is minus the mean of its per-row log-likelihoods.
#include <c10/util/Exception.h>

#include "InBatchRanking.h"
#include "LossRegistry.h"

namespace embedforge {

namespace {

class MultipleNegativesRankingLoss : public Loss {
 public:
  MultipleNegativesRankingLoss(std::string name, InBatchRankingOptions options) : name_(std::move(name)), options_(options) {}

  std::string name() const override { return name_; }

  at::Tensor compute(const LossInputs& in) const override {
    requireColumns(*this, in, 2, -1, "(anchor, positive[, negative...]) columns");
    rejectLabels(*this, in);
    return -inBatchRankingLogLikelihood(in.columns, 0, in.batchSize(), options_).mean();
  }

 private:
  std::string name_;
  InBatchRankingOptions options_;
};

}  // namespace

std::unique_ptr<Loss> makeInBatchRankingLoss(std::string name, InBatchRankingOptions options) {
  return std::make_unique<MultipleNegativesRankingLoss>(std::move(name), options);
}

std::unique_ptr<Loss> makeMultipleNegativesRankingLoss(const LossSpec& spec, const LossContext&) {
  return makeInBatchRankingLoss(spec.name(), inBatchRankingOptions(spec));
}

}  // namespace embedforge
