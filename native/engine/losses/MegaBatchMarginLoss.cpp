// MegaBatchMarginLoss (Wieting and Gimpel 2018, ParaNMT-50M), as sentence-transformers 6 computes it:
// each anchor's hardest in-batch negative is the most similar positive of another row.
// Inputs: columns (anchor, positive), each (B, D); no labels.
//   cos      = cos_sim(anchors, positives)                                   (B, B)
//   hardest  = max_{j != i} cos[i, j]
//   loss     = sum_i( relu(positive_margin - cos[i, i]) + relu(hardest_i - negative_margin) ) / B
// use_mini_batched_version (sentence-transformers' default): GradCache (GradCache.h) with mini_batch_size
// rows per encoder forward and per loss chunk (rows [b, e) of cos at a time); otherwise one forward.
#include <c10/util/Exception.h>

#include <limits>

#include "GradCache.h"
#include "LossRegistry.h"
#include "Similarity.h"

namespace embedforge {

namespace {

class MegaBatchMarginLoss : public Loss {
 public:
  MegaBatchMarginLoss(double positiveMargin, double negativeMargin, bool miniBatched, int64_t miniBatchSize)
      : positiveMargin_(positiveMargin), negativeMargin_(negativeMargin), miniBatched_(miniBatched), miniBatchSize_(miniBatchSize) {}

  std::string name() const override { return "MegaBatchMarginLoss"; }

  at::Tensor compute(const LossInputs& in) const override {
    check(in);
    return chunk(in.columns, 0, in.batchSize());
  }

  StagedLoss stage(BatchEmbedder& embedder, const at::Tensor& labels) const override {
    if (!miniBatched_) return Loss::stage(embedder, labels);
    check(LossInputs{std::vector<at::Tensor>(embedder.numColumns()), labels});
    return gradCacheStage(embedder, miniBatchSize_,
                          [this](const std::vector<at::Tensor>& columns, int64_t b, int64_t e) { return chunk(columns, b, e); });
  }

 private:
  void check(const LossInputs& in) const {
    requireColumns(*this, in, 2, 2, "exactly (anchor, positive) columns (it mines each anchor's hardest negative from the other positives)");
    rejectLabels(*this, in);
  }

  at::Tensor chunk(const std::vector<at::Tensor>& columns, int64_t begin, int64_t end) const {
    const int64_t batch = columns[0].size(0), rows = end - begin;
    at::Tensor cos = pairwiseSimilarity(columns[0].narrow(0, begin, rows), columns[1], SimilarityFunction::Cosine);
    at::Tensor own = at::zeros_like(cos, cos.options().dtype(at::kBool));
    own.narrow(1, begin, rows).diagonal().fill_(true);
    at::Tensor positive = cos.narrow(1, begin, rows).diagonal();
    at::Tensor hardest = std::get<0>(cos.masked_fill(own, -std::numeric_limits<double>::infinity()).max(1));
    return (at::relu(at::rsub(positive, positiveMargin_)) + at::relu(hardest - negativeMargin_)).sum() / batch;
  }

  double positiveMargin_;
  double negativeMargin_;
  bool miniBatched_;
  int64_t miniBatchSize_;
};

}  // namespace

std::unique_ptr<Loss> makeMegaBatchMarginLoss(const LossSpec& spec, const LossContext&) {
  const int64_t miniBatchSize = spec.integer("miniBatchSize");
  TORCH_CHECK(miniBatchSize > 0, spec.name(), ": miniBatchSize must be positive, got ", miniBatchSize);
  return std::make_unique<MegaBatchMarginLoss>(spec.number("positiveMargin"), spec.number("negativeMargin"),
                                               spec.boolean("useMiniBatchedVersion"), miniBatchSize);
}

}  // namespace embedforge
