// Pairwise scores between the rows of two embedding matrices, as sentence-transformers' util
// functions compute them: a (N, D), b (M, D) -> (N, M).
//   cos_sim:    normalize(a) @ normalize(b)^T   (F.normalize: x / max(||x||, 1e-12))
//   dot_score:  a @ b^T
#pragma once
#include <ATen/ATen.h>

#include <string>

namespace embedforge {

enum class SimilarityFunction { Cosine, Dot };

/** "cosine" | "dot"; throws naming the loss and the value otherwise. */
SimilarityFunction similarityFromName(const std::string& name, const std::string& lossName);

at::Tensor pairwiseSimilarity(const at::Tensor& a, const at::Tensor& b, SimilarityFunction fn);

}  // namespace embedforge
