// MultipleNegativesSymmetricRankingLoss, as sentence-transformers 6 computes it.
// Inputs: columns (anchor, positive, negative_1, ...), each (B, D); no labels.
//   forward  = scale * sim(anchors, [positives; negatives...])   (B, B * (C - 1)): anchors rank candidates
//   backward = scale * sim(positives, anchors)                   (B, B): positives rank the anchors
//   loss     = mean_i( (lse(forward[i]) + lse(backward[i])) / 2 - scale * sim(a_i, p_i) )
//            = the mean of the two cross-entropies.
#include <c10/util/Exception.h>

#include "LossRegistry.h"
#include "Similarity.h"

namespace embedforge {

namespace {

class MultipleNegativesSymmetricRankingLoss : public Loss {
 public:
  MultipleNegativesSymmetricRankingLoss(double scale, SimilarityFunction similarity) : scale_(scale), similarity_(similarity) {}

  std::string name() const override { return "MultipleNegativesSymmetricRankingLoss"; }

  at::Tensor compute(const LossInputs& in) const override {
    requireColumns(*this, in, 2, -1, "(anchor, positive[, negative...]) columns");
    rejectLabels(*this, in);
    const int64_t batch = in.batchSize();
    const at::Tensor& anchors = in.columns[0];
    const at::Tensor& positives = in.columns[1];
    at::Tensor candidates = at::cat(std::vector<at::Tensor>(in.columns.begin() + 1, in.columns.end()), 0);
    at::Tensor forward = pairwiseSimilarity(anchors, candidates, similarity_) * scale_;
    at::Tensor positive = forward.narrow(1, 0, batch).diagonal();
    at::Tensor backward = pairwiseSimilarity(positives, anchors, similarity_) * scale_;
    at::Tensor logZ = (at::logsumexp(forward, {1}) + at::logsumexp(backward, {1})) / 2.0;
    return (logZ - positive).mean();
  }

 private:
  double scale_;
  SimilarityFunction similarity_;
};

}  // namespace

std::unique_ptr<Loss> makeMultipleNegativesSymmetricRankingLoss(const LossSpec& spec, const LossContext&) {
  const double scale = spec.number("scale");
  TORCH_CHECK(scale > 0, spec.name(), ": scale must be positive, got ", scale);
  return std::make_unique<MultipleNegativesSymmetricRankingLoss>(scale, similarityFromName(spec.string("similarity"), spec.name()));
}

}  // namespace embedforge
