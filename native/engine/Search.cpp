// Chunked similarity + topk with a running merge (see Search.h).
#include "Search.h"

#include <c10/core/InferenceMode.h>
#include <c10/util/Exception.h>

#include <algorithm>

#include "Pooling.h"

namespace embedforge {

std::pair<at::Tensor, at::Tensor> searchTopK(const at::Tensor& queriesIn, const at::Tensor& corpusIn, int64_t k, bool cosine,
                                             const at::Device& device) {
  TORCH_CHECK(queriesIn.dim() == 2 && corpusIn.dim() == 2 && queriesIn.size(1) == corpusIn.size(1),
              "searchTopK: queries ", queriesIn.sizes(), " and corpus ", corpusIn.sizes(), " must be (Q, D) and (N, D)");
  TORCH_CHECK(corpusIn.size(0) > 0, "searchTopK: the corpus is empty");
  TORCH_CHECK(k >= 1, "searchTopK: k must be >= 1, got ", k);
  c10::InferenceMode inference;
  constexpr int64_t corpusChunk = 50000;
  constexpr int64_t maxScores = int64_t(1) << 26;
  const int64_t numQueries = queriesIn.size(0), numCorpus = corpusIn.size(0);
  k = std::min(k, numCorpus);
  at::Tensor corpus = corpusIn.to(device, at::kFloat);
  if (cosine) corpus = normalizeRows(corpus);
  const int64_t queryBlock = std::max<int64_t>(1, maxScores / std::min(corpusChunk, numCorpus));

  at::Tensor allScores = at::empty({numQueries, k}, at::kFloat);
  at::Tensor allIndices = at::empty({numQueries, k}, at::kInt);
  for (int64_t q0 = 0; q0 < numQueries; q0 += queryBlock) {
    const int64_t qn = std::min(queryBlock, numQueries - q0);
    at::Tensor q = queriesIn.narrow(0, q0, qn).to(device, at::kFloat);
    if (cosine) q = normalizeRows(q);
    at::Tensor bestScores, bestIndices;
    for (int64_t c0 = 0; c0 < numCorpus; c0 += corpusChunk) {
      const int64_t cn = std::min(corpusChunk, numCorpus - c0);
      at::Tensor scores = at::mm(q, corpus.narrow(0, c0, cn).t());
      auto [s, i] = at::topk(scores, std::min(k, cn), 1, /*largest=*/true, /*sorted=*/true);
      i = i + c0;
      if (bestScores.defined()) {
        at::Tensor mergedScores = at::cat({bestScores, s}, 1), mergedIndices = at::cat({bestIndices, i}, 1);
        auto [ms, mi] = at::topk(mergedScores, k, 1, true, true);
        bestScores = ms;
        bestIndices = mergedIndices.gather(1, mi);
      } else {
        bestScores = s;
        bestIndices = i;
      }
    }
    allScores.narrow(0, q0, qn).copy_(bestScores);
    allIndices.narrow(0, q0, qn).copy_(bestIndices.to(at::kInt));
  }
  return {allIndices, allScores};
}

}  // namespace embedforge
