// The CoSENT objective shared by CoSENTLoss and AnglELoss (defined in CoSENTLoss.cpp):
//   s_i  = scale * score(a_i, b_i)                           (B)  (PairwiseScores.h)
//   loss = log(1 + sum over (i, j) with label_i < label_j of exp(s_i - s_j))
// i.e. every pair ranked lower by its label should score lower; pairs not so ordered are masked by
// subtracting 1e12 before the logsumexp, and the 1 is a 0 logit prepended to the flattened matrix.
#pragma once
#include <ATen/ATen.h>

#include "PairwiseScores.h"

namespace embedforge {

at::Tensor cosentLoss(const at::Tensor& a, const at::Tensor& b, const at::Tensor& labels, double scale, PairwiseScore fn);

}  // namespace embedforge
