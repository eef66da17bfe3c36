// MultipleNegativesRankingLoss (InfoNCE with in-batch negatives), as sentence-transformers 6 computes it.
// Inputs: columns (anchor, positive, negative_1, ..., negative_n), each (B, D); no labels.
//   candidates = [positives; negatives_1; ...; negatives_n]         (B * (C - 1), D)
//   scores     = scale * sim(anchors, candidates)                  (B, B * (C - 1))
//   loss       = mean_i( logsumexp_j scores[i, j] - scores[i, i] )  (cross-entropy, target = own positive)
#include <c10/util/Exception.h>

#include "LossRegistry.h"
#include "Similarity.h"

namespace embedforge {

namespace {

class MultipleNegativesRankingLoss : public Loss {
 public:
  MultipleNegativesRankingLoss(double scale, SimilarityFunction similarity) : scale_(scale), similarity_(similarity) {}

  std::string name() const override { return "MultipleNegativesRankingLoss"; }

  at::Tensor compute(const LossInputs& in) const override {
    requireColumns(*this, in, 2, -1, "(anchor, positive[, negative...]) columns");
    rejectLabels(*this, in);
    const int64_t batch = in.batchSize();
    at::Tensor candidates = at::cat(std::vector<at::Tensor>(in.columns.begin() + 1, in.columns.end()), 0);
    at::Tensor scores = pairwiseSimilarity(in.columns[0], candidates, similarity_) * scale_;
    at::Tensor positive = scores.narrow(1, 0, batch).diagonal();
    return -(positive - at::logsumexp(scores, {1})).mean();
  }

 private:
  double scale_;
  SimilarityFunction similarity_;
};

}  // namespace

std::unique_ptr<Loss> makeMultipleNegativesRankingLoss(const LossSpec& spec, const LossContext&) {
  const double scale = spec.number("scale");
  TORCH_CHECK(scale > 0, spec.name(), ": scale must be positive, got ", scale);
  return std::make_unique<MultipleNegativesRankingLoss>(scale, similarityFromName(spec.string("similarity"), spec.name()));
}

}  // namespace embedforge
