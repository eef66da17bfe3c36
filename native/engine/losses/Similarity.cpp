// Pairwise similarity matrices (Similarity.h).
#include "Similarity.h"

#include <c10/util/Exception.h>

#include "Pooling.h"

namespace embedforge {

SimilarityFunction similarityFromName(const std::string& name, const std::string& lossName) {
  if (name == "cosine") return SimilarityFunction::Cosine;
  if (name == "dot") return SimilarityFunction::Dot;
  TORCH_CHECK(false, lossName, ": unknown similarity \"", name, "\" (supported: cosine, dot)");
}

at::Tensor pairwiseSimilarity(const at::Tensor& a, const at::Tensor& b, SimilarityFunction fn) {
  if (fn == SimilarityFunction::Cosine) return at::mm(normalizeRows(a), normalizeRows(b).t());
  return at::mm(a, b.t());
}

}  // namespace embedforge
