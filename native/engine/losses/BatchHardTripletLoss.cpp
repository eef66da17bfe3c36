// BatchHardTripletLoss: for every sentence of the batch as anchor, its farthest same-class sentence
// against its nearest other-class sentence (Hermans et al., "In Defense of the Triplet Loss").
// Inputs: one column (B, D); labels (B) integer class ids.
//   d    = batchDistances(x, distance_metric)                 (B, B)
//   loss = mean_i max(hardestPositive_i - hardestNegative_i + margin, 0)   (TripletMining.h)
// An anchor without a same-class partner has hardestPositive 0; one without another class takes the
// row's largest distance (plus the smallest same-class one) as its "negative", as sentence-transformers does.
#include <c10/util/Exception.h>

#include "Distances.h"
#include "LossRegistry.h"
#include "TripletMining.h"

namespace embedforge {

namespace {

class BatchHardTripletLoss : public Loss {
 public:
  BatchHardTripletLoss(BatchDistanceMetric metric, double margin) : metric_(metric), margin_(margin) {}

  std::string name() const override { return "BatchHardTripletLoss"; }

  at::Tensor compute(const LossInputs& in) const override {
    requireColumns(*this, in, 1, 1, "one sentence column");
    requireLabels(*this, in, "an integer class label per sentence");
    at::Tensor distances = batchDistances(in.columns[0], metric_);
    at::Tensor losses = hardestPositive(distances, in.labels) - hardestNegative(distances, in.labels) + margin_;
    return losses.masked_fill(losses < 0, 0).mean();
  }

 private:
  BatchDistanceMetric metric_;
  double margin_;
};

}  // namespace

std::unique_ptr<Loss> makeBatchHardTripletLoss(const LossSpec& spec, const LossContext&) {
  return std::make_unique<BatchHardTripletLoss>(batchDistanceMetricFromName(spec.string("distanceMetric"), spec.name()),
                                                spec.number("margin"));
}

}  // namespace embedforge
