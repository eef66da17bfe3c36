// CachedMultipleNegativesSymmetricRankingLoss: MultipleNegativesSymmetricRankingLoss computed with GradCache
// (GradCache.h), as sentence-transformers 6 defines it: CachedMultipleNegativesRankingLoss with directions
// query_to_doc and doc_to_query, one softmax per direction (InBatchRanking.h).
// Inputs: columns (anchor, positive, negative_1, ...), each (B, D); no labels.
//   for each chunk of rows [b, e) of mini_batch_size:
//     forward  = scale * sim(anchors[b:e], [positives; negatives...])   (e - b, B * (C - 1))
//     backward = scale * sim(positives[b:e], anchors)                   (e - b, B)
//     part     = mean_i( (lse(forward[i]) + lse(backward[i])) / 2 - forward[i, b + i] ) * (e - b) / B
//   loss = sum of the parts = MultipleNegativesSymmetricRankingLoss's value.
#include "InBatchRanking.h"
#include "LossRegistry.h"

namespace embedforge {

std::unique_ptr<Loss> makeCachedMultipleNegativesSymmetricRankingLoss(const LossSpec& spec, const LossContext&) {
  return makeCachedInBatchRankingLoss(spec.name(), symmetricRankingOptions(spec), spec);
}

}  // namespace embedforge
