// MultipleNegativesSymmetricRankingLoss, as sentence-transformers 6 defines it: MultipleNegativesRankingLoss
// with directions (query_to_doc, doc_to_query) and one softmax per direction (InBatchRanking.h).
// Inputs: columns (anchor, positive, negative_1, ...), each (B, D); no labels.
//   forward  = scale * sim(anchors, [positives; negatives...])   (B, B * (C - 1)): anchors rank candidates
//   backward = scale * sim(positives, anchors)                   (B, B): positives rank the anchors
//   loss     = mean_i( (lse(forward[i]) + lse(backward[i])) / 2 - scale * sim(a_i, p_i) )
#include "InBatchRanking.h"
#include "LossRegistry.h"

namespace embedforge {

std::unique_ptr<Loss> makeMultipleNegativesSymmetricRankingLoss(const LossSpec& spec, const LossContext&) {
  return makeInBatchRankingLoss(spec.name(), symmetricRankingOptions(spec));
}

}  // namespace embedforge
