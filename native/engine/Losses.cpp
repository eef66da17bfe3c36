// MNRL / MNSRL / Matryoshka on the in-batch similarity matrix (see Losses.h for the formulas).
#include "Losses.h"

#include <c10/util/Exception.h>

#include <algorithm>
#include <numeric>

#include "Pooling.h"

namespace embedforge {

namespace {

at::Tensor similarity(const at::Tensor& a, const at::Tensor& b, bool cosine) {
  return cosine ? at::mm(normalizeRows(a), normalizeRows(b).t()) : at::mm(a, b.t());
}

at::Tensor rankingLoss(const at::Tensor& embeddings, int64_t numColumns, const LossConfig& c) {
  const int64_t batch = embeddings.size(0) / numColumns;
  at::Tensor anchors = embeddings.narrow(0, 0, batch);
  at::Tensor candidates = embeddings.narrow(0, batch, embeddings.size(0) - batch);
  at::Tensor positives = embeddings.narrow(0, batch, batch);
  at::Tensor scores = similarity(anchors, candidates, c.cosine) * c.scale;  // (B, B*(C-1))
  at::Tensor positive = scores.narrow(1, 0, batch).diagonal();
  at::Tensor logZ = at::logsumexp(scores, {1});
  if (c.symmetric) {
    at::Tensor backward = similarity(anchors, positives, c.cosine).t() * c.scale;  // [i, j] = sim(a_j, p_i)
    logZ = (logZ + at::logsumexp(backward, {1})) / 2.0;
  }
  return -(positive - logZ).mean();
}

}  // namespace

at::Tensor contrastiveLoss(const at::Tensor& embeddings, int64_t numColumns, const LossConfig& c) {
  TORCH_CHECK(numColumns >= 2, "the loss needs at least 2 columns (anchor, positive), got numColumns = ", numColumns);
  TORCH_CHECK(embeddings.dim() == 2 && embeddings.size(0) % numColumns == 0 && embeddings.size(0) > 0,
              "the loss got ", embeddings.size(0), " embeddings, not a positive multiple of numColumns = ", numColumns);
  if (c.matryoshkaDims.empty()) return rankingLoss(embeddings, numColumns, c);

  TORCH_CHECK(c.matryoshkaDims.size() == c.matryoshkaWeights.size(), "MatryoshkaLoss: ", c.matryoshkaDims.size(),
              " dims but ", c.matryoshkaWeights.size(), " weights");
  std::vector<size_t> order(c.matryoshkaDims.size());
  std::iota(order.begin(), order.end(), 0);
  // sentence-transformers sorts (dim, weight) pairs by dim, largest first; the sum runs in that order.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return c.matryoshkaDims[a] > c.matryoshkaDims[b]; });
  at::Tensor total;
  for (size_t idx : order) {
    const int64_t dim = c.matryoshkaDims[idx];
    TORCH_CHECK(dim > 0 && dim <= embeddings.size(1), "MatryoshkaLoss: dim ", dim, " must be in [1, ", embeddings.size(1), "]");
    at::Tensor truncated = normalizeRows(embeddings.narrow(1, 0, dim));
    at::Tensor term = rankingLoss(truncated, numColumns, c) * c.matryoshkaWeights[idx];
    total = total.defined() ? total + term : term;
  }
  return total;
}

}  // namespace embedforge
