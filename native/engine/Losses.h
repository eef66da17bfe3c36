// In-batch contrastive losses on sentence embeddings, as sentence-transformers 6.0.1 computes them.
// embeddings: (numColumns * B, D), column-major: rows [0, B) anchors, [B, 2B) positives, further
// blocks hard negatives. sim = cos (both sides normalized) or dot, times scale.
//   MultipleNegativesRankingLoss: row i of anchors vs all C-1 candidate blocks (B*(C-1) columns);
//     loss = mean_i(logsumexp_j sim(a_i, c_j) - sim(a_i, p_i)).
//   MultipleNegativesSymmetricRankingLoss: additionally positives vs anchors (B x B, positives only);
//     log Z_i = (lse over anchor row i + lse over positive row i) / 2; loss = mean_i(log Z_i - sim(a_i, p_i)).
//   MatryoshkaLoss: dims sorted descending with their weights; for each dim the embeddings are cut to
//     [:, :dim] and renormalized (F.normalize), inner loss times weight, summed.
#pragma once
#include <ATen/ATen.h>

#include <string>
#include <vector>

namespace embedforge {

struct LossConfig {
  bool symmetric = false;  // MultipleNegativesSymmetricRankingLoss
  double scale = 20.0;
  bool cosine = true;
  std::vector<int64_t> matryoshkaDims;  // empty: no MatryoshkaLoss
  std::vector<double> matryoshkaWeights;
};

/** Scalar loss; checks numColumns >= 2, the row count and the Matryoshka dims against D. */
at::Tensor contrastiveLoss(const at::Tensor& embeddings, int64_t numColumns, const LossConfig& config);

}  // namespace embedforge
