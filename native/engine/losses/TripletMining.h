// Label masks and hard-example mining shared by the batch triplet losses (BatchAll, BatchHard,
// BatchHardSoftMargin), as sentence-transformers' BatchHardTripletLoss defines them.
//   labels (B) class ids; distances (B, B) from batchDistances.
//   anchorPositiveMask[i][j] = labels[i] == labels[j] and i != j
//   anchorNegativeMask[i][k] = labels[i] != labels[k]
//   tripletMask[i][j][k]     = i, j, k distinct, labels[i] == labels[j], labels[i] != labels[k]
//   hardestPositive[i] = max_j (anchorPositiveMask * distances)[i][j]           (0 when i has no positive)
//   hardestNegative[i] = min_k (distances + rowMax_i * (1 - anchorNegativeMask))[i][k]
//                        (same-label entries are pushed up by the row's largest distance)
#pragma once
#include <ATen/ATen.h>

namespace embedforge {

at::Tensor anchorPositiveMask(const at::Tensor& labels);
at::Tensor anchorNegativeMask(const at::Tensor& labels);
at::Tensor tripletMask(const at::Tensor& labels);

/** (B, 1) each: the farthest same-label and the nearest other-label distance of every anchor. */
at::Tensor hardestPositive(const at::Tensor& distances, const at::Tensor& labels);
at::Tensor hardestNegative(const at::Tensor& distances, const at::Tensor& labels);

}  // namespace embedforge
