// BatchSemiHardTripletLoss (FaceNet's semi-hard mining, as TensorFlow Addons and sentence-transformers
// compute it). Inputs: one column (B, D); labels (B) integer class ids.
//   d = batchDistances(x, distance_metric)                                  (B, B)
//   for every positive pair (a, p), same class, a != p:
//     n*  = the nearest other-class n with d[a][n] > d[a][p] (semi-hard), if one exists,
//           else the farthest other-class n of a (d[a][a] when a has no other class)
//     l   = max(d[a][p] - d[a][n*] + margin, 0)
//   loss = sum of l / max(#positive pairs, 1e-16)          (0 when no class has two members)
// The masked minimum/maximum shift by the row's max/min before masking, as the reference does, so
// the gradients of rows without candidates reach the same entries.
#include <c10/util/Exception.h>

#include "Distances.h"
#include "LossRegistry.h"

namespace embedforge {

namespace {

/** Row-wise minimum of data over mask (B', N); rows with an empty mask yield the row's maximum. */
at::Tensor maskedMinimum(const at::Tensor& data, const at::Tensor& mask) {
  at::Tensor rowMax = std::get<0>(data.max(1, /*keepdim=*/true));
  return std::get<0>(((data - rowMax) * mask).min(1, /*keepdim=*/true)) + rowMax;
}

/** Row-wise maximum of data over mask; rows with an empty mask yield the row's minimum. */
at::Tensor maskedMaximum(const at::Tensor& data, const at::Tensor& mask) {
  at::Tensor rowMin = std::get<0>(data.min(1, /*keepdim=*/true));
  return std::get<0>(((data - rowMin) * mask).max(1, /*keepdim=*/true)) + rowMin;
}

class BatchSemiHardTripletLoss : public Loss {
 public:
  BatchSemiHardTripletLoss(BatchDistanceMetric metric, double margin) : metric_(metric), margin_(margin) {}

  std::string name() const override { return "BatchSemiHardTripletLoss"; }

  at::Tensor compute(const LossInputs& in) const override {
    requireColumns(*this, in, 1, 1, "one sentence column");
    requireLabels(*this, in, "an integer class label per sentence");
    const int64_t batch = in.batchSize();
    at::Tensor labels = in.labels.unsqueeze(1);
    at::Tensor d = batchDistances(in.columns[0], metric_);
    at::Tensor sameClass = labels == labels.t();
    at::Tensor otherClass = sameClass.logical_not();
    // Row p * B + a of the tiled matrices holds anchor a's distances and asks which n are other-class
    // and farther from a than the positive p; the (B, B) results are transposed to (anchor, positive).
    at::Tensor tiled = d.repeat({batch, 1});
    at::Tensor semiHard = otherClass.repeat({batch, 1}) & (tiled > d.t().reshape({-1, 1}));
    at::Tensor hasSemiHard = (semiHard.sum(1, /*keepdim=*/true) > 0).reshape({batch, batch}).t();
    at::Tensor nearestSemiHard = maskedMinimum(tiled, semiHard).reshape({batch, batch}).t();
    at::Tensor farthestNegative = maskedMaximum(d, otherClass).repeat({1, batch});
    at::Tensor negatives = at::where(hasSemiHard, nearestSemiHard, farthestNegative);
    at::Tensor lossMatrix = (d - negatives) + margin_;
    at::Tensor positivePairs = sameClass.to(d.scalar_type()) - at::eye(batch, d.options());
    at::Tensor zero = at::zeros({1}, d.options());
    return at::maximum(lossMatrix * positivePairs, zero).sum() / positivePairs.sum().clamp_min(1e-16);
  }

 private:
  BatchDistanceMetric metric_;
  double margin_;
};

}  // namespace

std::unique_ptr<Loss> makeBatchSemiHardTripletLoss(const LossSpec& spec, const LossContext&) {
  return std::make_unique<BatchSemiHardTripletLoss>(
      batchDistanceMetricFromName(spec.string("distanceMetric"), spec.name()), spec.number("margin"));
}

}  // namespace embedforge
