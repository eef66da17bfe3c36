// BatchHardSoftMarginTripletLoss: BatchHardTripletLoss with the hinge replaced by a softplus, so there
// is no margin to choose. Inputs: one column (B, D); labels (B) integer class ids.
//   d    = batchDistances(x, distance_metric)                 (B, B)
//   loss = mean_i log(1 + exp(hardestPositive_i - hardestNegative_i))      (TripletMining.h)
#include <c10/util/Exception.h>

#include "Distances.h"
#include "LossRegistry.h"
#include "TripletMining.h"

namespace embedforge {

namespace {

class BatchHardSoftMarginTripletLoss : public Loss {
 public:
  explicit BatchHardSoftMarginTripletLoss(BatchDistanceMetric metric) : metric_(metric) {}

  std::string name() const override { return "BatchHardSoftMarginTripletLoss"; }

  at::Tensor compute(const LossInputs& in) const override {
    requireColumns(*this, in, 1, 1, "one sentence column");
    requireLabels(*this, in, "an integer class label per sentence");
    at::Tensor distances = batchDistances(in.columns[0], metric_);
    return at::log1p(at::exp(hardestPositive(distances, in.labels) - hardestNegative(distances, in.labels))).mean();
  }

 private:
  BatchDistanceMetric metric_;
};

}  // namespace

std::unique_ptr<Loss> makeBatchHardSoftMarginTripletLoss(const LossSpec& spec, const LossContext&) {
  return std::make_unique<BatchHardSoftMarginTripletLoss>(
      batchDistanceMetricFromName(spec.string("distanceMetric"), spec.name()));
}

}  // namespace embedforge
