// Row-wise scores score(a[i], b[i]) of sentence-transformers' util.pairwise_* functions, the
// similarity_fct choices of CoSENTLoss: a, b (B, D) -> (B).
//   cosine (pairwise_cos_sim):         normalize(a) . normalize(b)
//   dot (pairwise_dot_score):          a . b
//   euclidean (pairwise_euclidean_sim): -sqrt(sum (a - b)^2)
//   manhattan (pairwise_manhattan_sim): -sum |a - b|
//   angle (pairwise_angle_sim, AnglE): the halves of each row as real and imaginary parts
//       (an odd D is padded with one 0), z = (a_re + i a_im) / (b_re + i b_im) scaled by |b| / |a|,
//       score = |sum(Re z) + sum(Im z)|
#pragma once
#include <ATen/ATen.h>

#include <string>

namespace embedforge {

enum class PairwiseScore { Cosine, Dot, Euclidean, Manhattan, Angle };

/** "cosine" | "dot" | "euclidean" | "manhattan" | "angle"; throws naming the loss otherwise. */
PairwiseScore pairwiseScoreFromName(const std::string& name, const std::string& lossName);

at::Tensor pairwiseScores(const at::Tensor& a, const at::Tensor& b, PairwiseScore fn);

}  // namespace embedforge
