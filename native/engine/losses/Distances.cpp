// Distance functions of the triplet and contrastive losses (Distances.h).
#include "Distances.h"

#include <c10/util/Exception.h>

#include "Pooling.h"

namespace embedforge {

BatchDistanceMetric batchDistanceMetricFromName(const std::string& name, const std::string& lossName) {
  if (name == "cosine_distance") return BatchDistanceMetric::CosineDistance;
  if (name == "euclidean_distance") return BatchDistanceMetric::EuclideanDistance;
  TORCH_CHECK(false, lossName, ": unknown distance_metric \"", name, "\" (supported: cosine_distance, euclidean_distance)");
}

TripletDistanceMetric tripletDistanceMetricFromName(const std::string& name, const std::string& lossName) {
  if (name == "cosine") return TripletDistanceMetric::Cosine;
  if (name == "euclidean") return TripletDistanceMetric::Euclidean;
  if (name == "manhattan") return TripletDistanceMetric::Manhattan;
  TORCH_CHECK(false, lossName, ": unknown distance_metric \"", name, "\" (supported: cosine, euclidean, manhattan)");
}

SiameseDistanceMetric siameseDistanceMetricFromName(const std::string& name, const std::string& lossName) {
  if (name == "euclidean") return SiameseDistanceMetric::Euclidean;
  if (name == "manhattan") return SiameseDistanceMetric::Manhattan;
  if (name == "cosine_distance") return SiameseDistanceMetric::CosineDistance;
  TORCH_CHECK(false, lossName, ": unknown distance_metric \"", name, "\" (supported: euclidean, manhattan, cosine_distance)");
}

at::Tensor batchDistances(const at::Tensor& x, BatchDistanceMetric metric) {
  if (metric == BatchDistanceMetric::CosineDistance) {
    at::Tensor unit = normalizeRows(x);
    return at::rsub(at::mm(unit, unit.t()), 1);
  }
  // Through the Gram matrix, so the diagonal is exactly 0; rounding can make other entries slightly
  // negative, which are set to 0. sqrt's gradient is infinite at 0, so exact zeros are kept out of it.
  at::Tensor gram = at::matmul(x, x.t());
  at::Tensor squareNorm = at::diag(gram);
  at::Tensor squared = squareNorm.unsqueeze(0) - 2.0 * gram + squareNorm.unsqueeze(1);
  squared = squared.masked_fill(squared < 0, 0);
  at::Tensor zero = squared.eq(0).to(x.scalar_type());
  return at::rsub(zero, 1) * at::sqrt(squared + zero * 1e-16);
}

at::Tensor tripletDistance(const at::Tensor& a, const at::Tensor& b, TripletDistanceMetric metric) {
  switch (metric) {
    case TripletDistanceMetric::Cosine:
      return at::rsub((normalizeRows(a) * normalizeRows(b)).sum(-1), 1);
    case TripletDistanceMetric::Euclidean:
      return at::sqrt((a - b).pow(2).sum(-1));
    case TripletDistanceMetric::Manhattan:
      return at::abs(a - b).sum(-1);
  }
  TORCH_CHECK(false, "unreachable");
}

at::Tensor siameseDistance(const at::Tensor& a, const at::Tensor& b, SiameseDistanceMetric metric) {
  switch (metric) {
    case SiameseDistanceMetric::Euclidean:
      return at::pairwise_distance(a, b, 2, 1e-6, false);
    case SiameseDistanceMetric::Manhattan:
      return at::pairwise_distance(a, b, 1, 1e-6, false);
    case SiameseDistanceMetric::CosineDistance:
      return at::rsub(at::cosine_similarity(a, b, 1, 1e-8), 1);
  }
  TORCH_CHECK(false, "unreachable");
}

}  // namespace embedforge
