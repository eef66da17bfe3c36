// TripletLoss: the anchor must be closer to its positive than to its negative by triplet_margin.
// Inputs: columns (anchor, positive, negative), each (B, D); no labels.
//   loss = mean_i max(dist(a_i, p_i) - dist(a_i, n_i) + triplet_margin, 0)
// with dist one of TripletDistanceMetric's cosine, euclidean, manhattan (Distances.h).
#include <c10/util/Exception.h>

#include "Distances.h"
#include "LossRegistry.h"

namespace embedforge {

namespace {

class TripletLoss : public Loss {
 public:
  TripletLoss(TripletDistanceMetric metric, double margin) : metric_(metric), margin_(margin) {}

  std::string name() const override { return "TripletLoss"; }

  at::Tensor compute(const LossInputs& in) const override {
    requireColumns(*this, in, 3, 3, "(anchor, positive, negative) columns");
    rejectLabels(*this, in);
    at::Tensor positive = tripletDistance(in.columns[0], in.columns[1], metric_);
    at::Tensor negative = tripletDistance(in.columns[0], in.columns[2], metric_);
    return at::relu(positive - negative + margin_).mean();
  }

 private:
  TripletDistanceMetric metric_;
  double margin_;
};

}  // namespace

std::unique_ptr<Loss> makeTripletLoss(const LossSpec& spec, const LossContext&) {
  return std::make_unique<TripletLoss>(tripletDistanceMetricFromName(spec.string("distanceMetric"), spec.name()),
                                       spec.number("tripletMargin"));
}

}  // namespace embedforge
