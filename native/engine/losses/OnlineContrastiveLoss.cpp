// OnlineContrastiveLoss: ContrastiveLoss over the hard pairs of the batch only.
// Inputs: columns (A, B), each (B, D); labels (B) 1 (similar) / 0 (dissimilar).
//   d = dist(A_i, B_i) (SiameseDistanceMetric, Distances.h); P = d of pairs labelled 1, N = of pairs labelled 0
//   hard negatives: n in N with n < max(P)  (with fewer than 2 positives: n < mean(N))
//   hard positives: p in P with p > min(N)  (with fewer than 2 negatives: p > mean(P))
//   loss = sum over hard positives of p^2 + sum over hard negatives of max(margin - n, 0)^2   (not averaged)
// A batch without negatives (or positives) sums over the empty set, as sentence-transformers does;
// pairs labelled neither 0 nor 1 are in neither set.
#include <ATen/TensorIndexing.h>
#include <c10/util/Exception.h>

#include "Distances.h"
#include "LossRegistry.h"

namespace embedforge {

namespace {

class OnlineContrastiveLoss : public Loss {
 public:
  OnlineContrastiveLoss(SiameseDistanceMetric metric, double margin) : metric_(metric), margin_(margin) {}

  std::string name() const override { return "OnlineContrastiveLoss"; }

  at::Tensor compute(const LossInputs& in) const override {
    requireColumns(*this, in, 2, 2, "(anchor, positive/negative) columns");
    requireLabels(*this, in, "a 1/0 label per pair");
    using at::indexing::TensorIndex;
    at::Tensor d = siameseDistance(in.columns[0], in.columns[1], metric_);
    at::Tensor negatives = d.index({TensorIndex(in.labels == 0)});
    at::Tensor positives = d.index({TensorIndex(in.labels == 1)});
    // The bounds only select pairs: comparisons pass no gradient.
    at::Tensor negativeBound = positives.size(0) > 1 ? positives.max() : negatives.mean();
    at::Tensor positiveBound = negatives.size(0) > 1 ? negatives.min() : positives.mean();
    at::Tensor hardNegatives = negatives.index({TensorIndex(negatives < negativeBound)});
    at::Tensor hardPositives = positives.index({TensorIndex(positives > positiveBound)});
    return hardPositives.pow(2).sum() + at::relu(at::rsub(hardNegatives, margin_)).pow(2).sum();
  }

 private:
  SiameseDistanceMetric metric_;
  double margin_;
};

}  // namespace

std::unique_ptr<Loss> makeOnlineContrastiveLoss(const LossSpec& spec, const LossContext&) {
  return std::make_unique<OnlineContrastiveLoss>(
      siameseDistanceMetricFromName(spec.string("distanceMetric"), spec.name()), spec.number("margin"));
}

}  // namespace embedforge
