// ContrastiveTensionLossInBatchNegatives (Contrastive Tension with in-batch negatives), as
// sentence-transformers 6 computes it: model1, a copy of the model that the loss owns and trains
// (ModelCopy.h), and model2, the model itself, embed the same sentences.
// Inputs: 1 column of sentences, B rows (sentence-transformers 6 uses the first column only; a second column
// is accepted when it repeats the first token for token, the (anchor, anchor) form of older tutorials); no labels.
//   a = model1(sentences), b = model2(sentences)                 (B, D) each, model1 first
//   scores = sim(a, b) * exp(logit_scale)                        (B, B), sim cos_sim or dot_score
//   loss = (CE(scores, arange(B)) + CE(scores^T, arange(B))) / 2     (CE averaged over rows)
// logit_scale is a learnable scalar the loss owns, log(scale) at the start, trained (and weight-decayed) with
// model1's parameters ("model1.<name>") as the trainer does every parameter of the loss module.
#include <c10/util/Exception.h>

#include <algorithm>
#include <cmath>

#include "LossRegistry.h"
#include "ModelCopy.h"
#include "Similarity.h"

namespace embedforge {

namespace {

class ContrastiveTensionLossInBatchNegatives : public Loss {
 public:
  ContrastiveTensionLossInBatchNegatives(const LossContext& context, double scale, SimilarityFunction similarity)
      : model1_(context, "ContrastiveTensionLossInBatchNegatives"),
        similarity_(similarity),
        logitScale_(at::full({}, std::log(scale), at::kFloat).to(context.device).requires_grad_(true)) {}

  std::string name() const override { return "ContrastiveTensionLossInBatchNegatives"; }

  std::vector<std::pair<std::string, at::Tensor>> parameters() const override {
    auto out = model1_.parameters("model1.");
    out.emplace_back("logit_scale", logitScale_);
    return out;
  }

  at::Tensor compute(const LossInputs&) const override {
    TORCH_CHECK(false, name(), " embeds the sentences with its own model1 too, so it cannot be computed from the model's embeddings",
                " alone (it cannot be wrapped by MatryoshkaLoss, AdaptiveLayerLoss or Matryoshka2dLoss)");
  }

  StagedLoss stage(BatchEmbedder& embedder, const at::Tensor& labels) const override {
    const int64_t columns = embedder.numColumns(), rows = embedder.rows();
    TORCH_CHECK(columns == 1 || columns == 2, name(), " needs single sentences: 1 input column (or (anchor, anchor) pairs), got ",
                columns, " input column(s)");
    TORCH_CHECK(!labels.defined(), name(),
                " takes no labels, but the data has a \"label\"/\"score\" column; drop it or choose a loss that uses it");
    const PackedTexts sentences = embedder.texts(0, 0, rows);
    if (columns == 2) requireRepeated(sentences, embedder.texts(1, 0, rows));
    at::Tensor a = model1_.embed(sentences, embedder.device(), embedder.precision());
    at::Tensor b = embedder.embedColumn(0);
    at::Tensor scores = pairwiseSimilarity(a, b, similarity_) * logitScale_.exp();
    at::Tensor targets = at::arange(rows, scores.options().dtype(at::kLong));
    at::Tensor value = (at::cross_entropy_loss(scores, targets) + at::cross_entropy_loss(scores.t(), targets)) / 2;
    return {value, [value](const at::Tensor& gradOutput) { value.backward(gradOutput); }};
  }

 private:
  /** A second column must repeat the first: sentence-transformers would silently ignore it. */
  void requireRepeated(const PackedTexts& first, const PackedTexts& second) const {
    for (int64_t i = 0; i + 1 < static_cast<int64_t>(first.cuSeqlens.size()); ++i) {
      const int32_t b1 = first.cuSeqlens[i], e1 = first.cuSeqlens[i + 1], b2 = second.cuSeqlens[i], e2 = second.cuSeqlens[i + 1];
      const bool same = e1 - b1 == e2 - b2 && std::equal(first.inputIds.begin() + b1, first.inputIds.begin() + e1, second.inputIds.begin() + b2);
      TORCH_CHECK(same, name(), " embeds only the first column (with both models); a second column must repeat it, but row ", i,
                  " of the batch has two different texts");
    }
  }

  ModelCopy model1_;
  SimilarityFunction similarity_;
  at::Tensor logitScale_;
};

}  // namespace

std::unique_ptr<Loss> makeContrastiveTensionLossInBatchNegatives(const LossSpec& spec, const LossContext& context) {
  const double scale = spec.number("scale");
  TORCH_CHECK(scale > 0 && std::isfinite(scale), spec.name(), ": scale must be a positive number, got ", scale);
  return std::make_unique<ContrastiveTensionLossInBatchNegatives>(context, scale, similarityFromName(spec.string("similarity"), spec.name()));
}

}  // namespace embedforge
