// The in-batch ranking objective of sentence-transformers 6's MultipleNegativesRankingLoss (and of its
// Cached twin, row chunk by row chunk): interaction directions, partition of the softmax, hardness weights.
// Inputs: columns (queries q, positives d_0, negatives d_1 ... d_n), each (B, D); docs = [d_0; d_1; ...] (B(n+1), D).
// For query rows i in [begin, end), with s = sim (cosine or dot) and scale = 1 / temperature:
//   query_to_doc   scale * s(q_i, docs)                      (always; holds the positive s(q_i, d_0,i))
//   query_to_query scale * s(q_i, q_j), q_i itself -inf      (B columns)
//   doc_to_query   scale * s(d_0,i, q_j)                     (B columns)
//   doc_to_doc     scale * s(d_0,i, docs), every document of row i (its positive, its negatives) -inf
// Hardness (query_to_doc only, when the strength is > 0): + strength * stop_grad(s(q_i, doc)), not scaled, on
//   in_batch_negatives: the documents of other rows; hard_negatives: row i's own negatives (columns >= B);
//   all_negatives: every document but row i's positive.
// joint:          logZ_i = logsumexp over the concatenation of the directions' rows
// per_direction:  logZ_i = mean over the directions of each one's logsumexp (query_to_doc and doc_to_query only)
// Returns positive_i - logZ_i for each row (end - begin): the loss is minus its mean.
#pragma once
#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <vector>

#include "Loss.h"
#include "LossSpec.h"
#include "Similarity.h"

namespace embedforge {

enum class RankingHardness { None, InBatchNegatives, HardNegatives, AllNegatives };

struct InBatchRankingOptions {
  double scale = 20.0;
  SimilarityFunction similarity = SimilarityFunction::Cosine;
  bool queryToQuery = false;
  bool docToQuery = false;
  bool docToDoc = false;
  bool perDirection = false;
  RankingHardness hardness = RankingHardness::None;
  double hardnessStrength = 0.0;
};

/** scale, similarity and, when present, directions / partitionMode / hardnessMode / hardnessStrength (absent:
 *  sentence-transformers' defaults), checked as sentence-transformers checks them; errors name the loss. */
InBatchRankingOptions inBatchRankingOptions(const LossSpec& spec);

/** positive - logZ of query rows [begin, end) against the whole batch, (end - begin). */
at::Tensor inBatchRankingLogLikelihood(const std::vector<at::Tensor>& columns, int64_t begin, int64_t end,
                                       const InBatchRankingOptions& options);

/** The symmetric losses' options: sentence-transformers 6 defines them as MultipleNegativesRankingLoss with
 *  directions (query_to_doc, doc_to_query) and partition_mode per_direction. */
InBatchRankingOptions symmetricRankingOptions(const LossSpec& spec);

/** MultipleNegativesRankingLoss with these options, under `name` (its symmetric twin uses it too). */
std::unique_ptr<Loss> makeInBatchRankingLoss(std::string name, InBatchRankingOptions options);

/** CachedMultipleNegativesRankingLoss with these options and the spec's miniBatchSize / miniBatchNumTokens. */
std::unique_ptr<Loss> makeCachedInBatchRankingLoss(std::string name, InBatchRankingOptions options, const LossSpec& spec);

}  // namespace embedforge
