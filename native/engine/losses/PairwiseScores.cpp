// Row-wise scores of CoSENTLoss / AnglELoss (PairwiseScores.h).
#include "PairwiseScores.h"

#include <c10/util/Exception.h>

#include "Pooling.h"

namespace embedforge {

namespace {

at::Tensor angleScores(at::Tensor x, at::Tensor y) {
  if (x.size(1) % 2 != 0) {
    x = at::constant_pad_nd(x, {0, 1}, 0);
    y = at::constant_pad_nd(y, {0, 1}, 0);
  }
  const auto xs = at::chunk(x, 2, 1);
  const auto ys = at::chunk(y, 2, 1);
  const at::Tensor &a = xs[0], &b = xs[1], &c = ys[0], &d = ys[1];
  at::Tensor z = (c.pow(2) + d.pow(2)).sum(1, /*keepdim=*/true);
  at::Tensor re = (a * c + b * d) / z;
  at::Tensor im = (b * c - a * d) / z;
  at::Tensor dz = (a.pow(2) + b.pow(2)).sum(1, /*keepdim=*/true).pow(0.5);
  at::Tensor dw = (c.pow(2) + d.pow(2)).sum(1, /*keepdim=*/true).pow(0.5);
  re = re / (dz / dw);
  im = im / (dz / dw);
  return at::abs(at::cat({re, im}, 1).sum(1));
}

}  // namespace

PairwiseScore pairwiseScoreFromName(const std::string& name, const std::string& lossName) {
  if (name == "cosine") return PairwiseScore::Cosine;
  if (name == "dot") return PairwiseScore::Dot;
  if (name == "euclidean") return PairwiseScore::Euclidean;
  if (name == "manhattan") return PairwiseScore::Manhattan;
  if (name == "angle") return PairwiseScore::Angle;
  TORCH_CHECK(false, lossName, ": unknown similarity \"", name, "\" (supported: cosine, dot, euclidean, manhattan, angle)");
}

at::Tensor pairwiseScores(const at::Tensor& a, const at::Tensor& b, PairwiseScore fn) {
  switch (fn) {
    case PairwiseScore::Cosine:
      return (normalizeRows(a) * normalizeRows(b)).sum(-1);
    case PairwiseScore::Dot:
      return (a * b).sum(-1);
    case PairwiseScore::Euclidean:
      return -at::sqrt((a - b).pow(2).sum(-1));
    case PairwiseScore::Manhattan:
      return -at::abs(a - b).sum(-1);
    case PairwiseScore::Angle:
      return angleScores(a, b);
  }
  TORCH_CHECK(false, "unreachable");
}

}  // namespace embedforge
