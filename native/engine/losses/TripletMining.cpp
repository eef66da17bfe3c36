// Masks and hard mining of the batch triplet losses (TripletMining.h).
#include "TripletMining.h"

namespace embedforge {

namespace {

at::Tensor labelsEqual(const at::Tensor& labels) { return labels.unsqueeze(0) == labels.unsqueeze(1); }

at::Tensor notIdentity(const at::Tensor& labels) {
  return at::eye(labels.size(0), labels.options().dtype(at::kBool)).logical_not();
}

}  // namespace

at::Tensor anchorPositiveMask(const at::Tensor& labels) { return labelsEqual(labels) & notIdentity(labels); }

at::Tensor anchorNegativeMask(const at::Tensor& labels) { return labelsEqual(labels).logical_not(); }

at::Tensor tripletMask(const at::Tensor& labels) {
  const at::Tensor distinct = notIdentity(labels);
  const at::Tensor distinctIndices = distinct.unsqueeze(2) & distinct.unsqueeze(1) & distinct.unsqueeze(0);
  const at::Tensor equal = labelsEqual(labels);
  return equal.unsqueeze(2) & equal.unsqueeze(1).logical_not() & distinctIndices;
}

at::Tensor hardestPositive(const at::Tensor& distances, const at::Tensor& labels) {
  at::Tensor masked = anchorPositiveMask(labels).to(distances.scalar_type()) * distances;
  return std::get<0>(masked.max(1, /*keepdim=*/true));
}

at::Tensor hardestNegative(const at::Tensor& distances, const at::Tensor& labels) {
  at::Tensor rowMax = std::get<0>(distances.max(1, /*keepdim=*/true));
  at::Tensor notNegative = at::rsub(anchorNegativeMask(labels).to(distances.scalar_type()), 1);
  return std::get<0>((distances + rowMax * notNegative).min(1, /*keepdim=*/true));
}

}  // namespace embedforge
