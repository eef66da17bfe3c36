// The in-batch ranking objective (InBatchRanking.h).
#include "InBatchRanking.h"

#include <c10/util/Exception.h>

#include <cmath>
#include <limits>
#include <set>
#include <string>

namespace embedforge {

InBatchRankingOptions inBatchRankingOptions(const LossSpec& spec) {
  InBatchRankingOptions o;
  o.scale = spec.number("scale");
  TORCH_CHECK(o.scale > 0, spec.name(), ": scale must be positive, got ", o.scale);
  o.similarity = similarityFromName(spec.string("similarity"), spec.name());
  if (spec.has("directions")) {
    const std::vector<std::string> directions = spec.strings("directions");
    TORCH_CHECK(!directions.empty(), spec.name(), ": at least one direction must be specified");
    const std::set<std::string> valid{"query_to_doc", "query_to_query", "doc_to_query", "doc_to_doc"};
    std::set<std::string> given;
    for (const std::string& d : directions) {
      TORCH_CHECK(valid.count(d), spec.name(), ": invalid direction \"", d, "\" (valid: query_to_doc, query_to_query, doc_to_query, doc_to_doc)");
      given.insert(d);
    }
    TORCH_CHECK(given.count("query_to_doc"), spec.name(), ": the 'query_to_doc' direction is required (it contains the positive pair)");
    o.queryToQuery = given.count("query_to_query") > 0;
    o.docToQuery = given.count("doc_to_query") > 0;
    o.docToDoc = given.count("doc_to_doc") > 0;
  }
  if (spec.has("partitionMode")) {
    const std::string mode = spec.string("partitionMode");
    TORCH_CHECK(mode == "joint" || mode == "per_direction", spec.name(), ": partitionMode must be 'joint' or 'per_direction', got \"", mode, "\"");
    o.perDirection = mode == "per_direction";
  }
  // sentence-transformers refuses it too: those directions never hold the positive, so their own softmax is ill-defined.
  TORCH_CHECK(!(o.perDirection && (o.queryToQuery || o.docToDoc)), spec.name(),
              ": partitionMode 'per_direction' needs every direction to hold the positive pair; query_to_query and doc_to_doc "
              "do not: use 'joint'");
  if (spec.has("hardnessMode")) {
    const std::string mode = spec.string("hardnessMode");
    if (mode == "in_batch_negatives") o.hardness = RankingHardness::InBatchNegatives;
    else if (mode == "hard_negatives") o.hardness = RankingHardness::HardNegatives;
    else if (mode == "all_negatives") o.hardness = RankingHardness::AllNegatives;
    else TORCH_CHECK(false, spec.name(), ": hardnessMode must be null, in_batch_negatives, hard_negatives or all_negatives, got \"", mode, "\"");
  }
  if (spec.has("hardnessStrength")) o.hardnessStrength = spec.number("hardnessStrength");
  TORCH_CHECK(o.hardnessStrength >= 0, spec.name(), ": hardnessStrength must be non-negative, got ", o.hardnessStrength);
  return o;
}

InBatchRankingOptions symmetricRankingOptions(const LossSpec& spec) {
  InBatchRankingOptions o = inBatchRankingOptions(spec);
  o.docToQuery = true;
  o.perDirection = true;
  return o;
}

namespace {

/** (rows, columns) true where column j's document belongs to query row begin + r: j mod batch == begin + r. */
at::Tensor ownDocuments(int64_t begin, int64_t rows, int64_t batch, int64_t columns, const at::Device& device) {
  at::Tensor cols = at::arange(columns, at::TensorOptions().dtype(at::kLong).device(device));
  at::Tensor rowIds = at::arange(begin, begin + rows, at::TensorOptions().dtype(at::kLong).device(device)).unsqueeze(1);
  return at::remainder(cols, batch).unsqueeze(0).eq(rowIds);
}

/** strength * stop_grad(similarity) on the negatives the mode weights, 0 elsewhere. */
at::Tensor hardnessPenalty(const at::Tensor& queryToDoc, int64_t begin, int64_t batch, const InBatchRankingOptions& o) {
  const int64_t rows = queryToDoc.size(0), columns = queryToDoc.size(1);
  at::Tensor own = ownDocuments(begin, rows, batch, columns, queryToDoc.device());
  at::Tensor positiveColumn =
      at::arange(columns, at::TensorOptions().dtype(at::kLong).device(queryToDoc.device())).lt(batch).unsqueeze(0);
  at::Tensor excluded;
  switch (o.hardness) {
    case RankingHardness::InBatchNegatives: excluded = own; break;  // own positive and own hard negatives
    case RankingHardness::HardNegatives: excluded = own.logical_not().logical_or(positiveColumn); break;
    case RankingHardness::AllNegatives: excluded = own.logical_and(positiveColumn); break;  // own positive only
    case RankingHardness::None: break;
  }
  return (queryToDoc.detach() * o.hardnessStrength).masked_fill(excluded, 0.0);
}

}  // namespace

at::Tensor inBatchRankingLogLikelihood(const std::vector<at::Tensor>& columns, int64_t begin, int64_t end,
                                       const InBatchRankingOptions& o) {
  const int64_t batch = columns[0].size(0), rows = end - begin;
  const int64_t numDocColumns = static_cast<int64_t>(columns.size()) - 1;
  const double minusInf = -std::numeric_limits<double>::infinity();
  at::Tensor queries = columns[0].narrow(0, begin, rows);
  at::Tensor docs = at::cat(std::vector<at::Tensor>(columns.begin() + 1, columns.end()), 0);
  at::Tensor queryToDoc = pairwiseSimilarity(queries, docs, o.similarity);
  at::Tensor scores = queryToDoc * o.scale;
  if (o.hardness != RankingHardness::None && o.hardnessStrength > 0) scores = scores + hardnessPenalty(queryToDoc, begin, batch, o);

  // The directions in sentence-transformers' order (only the joint softmax's rounding depends on it).
  std::vector<at::Tensor> directions{scores};
  if (o.queryToQuery) {
    at::Tensor self = ownDocuments(begin, rows, batch, batch, queries.device());
    directions.push_back(pairwiseSimilarity(queries, columns[0], o.similarity).masked_fill(self, minusInf) * o.scale);
  }
  at::Tensor rowPositives = o.docToQuery || o.docToDoc ? columns[1].narrow(0, begin, rows) : at::Tensor();
  if (o.docToQuery) directions.push_back(pairwiseSimilarity(rowPositives, columns[0], o.similarity) * o.scale);
  if (o.docToDoc) {
    at::Tensor own = ownDocuments(begin, rows, batch, batch * numDocColumns, queries.device());
    directions.push_back(pairwiseSimilarity(rowPositives, docs, o.similarity).masked_fill(own, minusInf) * o.scale);
  }

  at::Tensor positive = scores.narrow(1, begin, rows).diagonal();
  at::Tensor logZ;
  if (directions.size() == 1) {
    logZ = at::logsumexp(scores, {1});
  } else if (!o.perDirection) {
    logZ = at::logsumexp(at::cat(directions, 1), {1});
  } else {
    for (const at::Tensor& d : directions) logZ = logZ.defined() ? logZ + at::logsumexp(d, {1}) : at::logsumexp(d, {1});
    logZ = logZ / static_cast<double>(directions.size());
  }
  return positive - logZ;
}

}  // namespace embedforge
