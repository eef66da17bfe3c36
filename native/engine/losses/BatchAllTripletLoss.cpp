// BatchAllTripletLoss: every valid triplet of the batch (anchor i, same-class j != i, other-class k),
// averaged over the triplets that still violate the margin.
// Inputs: one column (B, D); labels (B) integer class ids.
//   d          = batchDistances(x, distance_metric)                        (B, B)
//   t[i][j][k] = tripletMask[i][j][k] * max(d[i][j] - d[i][k] + margin, 0) (B, B, B)
//   loss       = sum(t) / (#{t > 1e-16} + 1e-16)                           (0 when no triplet violates)
#include <c10/util/Exception.h>

#include "Distances.h"
#include "LossRegistry.h"
#include "TripletMining.h"

namespace embedforge {

namespace {

class BatchAllTripletLoss : public Loss {
 public:
  BatchAllTripletLoss(BatchDistanceMetric metric, double margin) : metric_(metric), margin_(margin) {}

  std::string name() const override { return "BatchAllTripletLoss"; }

  at::Tensor compute(const LossInputs& in) const override {
    requireColumns(*this, in, 1, 1, "one sentence column");
    requireLabels(*this, in, "an integer class label per sentence");
    at::Tensor distances = batchDistances(in.columns[0], metric_);
    at::Tensor triplets = distances.unsqueeze(2) - distances.unsqueeze(1) + margin_;
    triplets = tripletMask(in.labels).to(triplets.scalar_type()) * triplets;
    triplets = triplets.masked_fill(triplets < 0, 0);
    const auto violating = (triplets > 1e-16).sum().item<int64_t>();
    return triplets.sum() / (static_cast<double>(violating) + 1e-16);
  }

 private:
  BatchDistanceMetric metric_;
  double margin_;
};

}  // namespace

std::unique_ptr<Loss> makeBatchAllTripletLoss(const LossSpec& spec, const LossContext&) {
  return std::make_unique<BatchAllTripletLoss>(batchDistanceMetricFromName(spec.string("distanceMetric"), spec.name()),
                                               spec.number("margin"));
}

}  // namespace embedforge
