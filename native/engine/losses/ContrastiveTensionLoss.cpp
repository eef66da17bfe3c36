// ContrastiveTensionLoss (Carlsson et al. 2021, "Semantic Re-tuning with Contrastive Tension"), as
// sentence-transformers 6 computes it. Two bi-encoders: model1, a copy of the model that the loss owns and
// trains (ModelCopy.h), and model2, the model itself (the one that is saved).
// Inputs: 2 columns of texts (sentence_A, sentence_B), B rows; labels (B) 1 = identical pair, 0 = different,
// or none: then label_i = 1 exactly when the two texts of row i have the same token ids (as
// sentence-transformers compares the unpadded input_ids). The pairs come from the data
// (lib/losses/ContrastiveTensionDataLoader.ts makes them from single sentences).
//   a_i = model1(sentence_A_i), b_i = model2(sentence_B_i)           (B, D) each, model1 first
//   s_i = a_i . b_i                                                  (B) dot products
//   loss = sum_i BCEWithLogits(s_i, label_i)                         (reduction "sum", as sentence-transformers)
//        = sum_i max(s_i, 0) - s_i * label_i + log(1 + exp(-|s_i|))
// Gradients reach both models; model1's parameters are the loss's own ("model1.<name>").
#include <c10/util/Exception.h>

#include <algorithm>

#include "LossRegistry.h"
#include "ModelCopy.h"

namespace embedforge {

namespace {

class ContrastiveTensionLoss : public Loss {
 public:
  explicit ContrastiveTensionLoss(const LossContext& context) : model1_(context, "ContrastiveTensionLoss") {}

  std::string name() const override { return "ContrastiveTensionLoss"; }

  std::vector<std::pair<std::string, at::Tensor>> parameters() const override { return model1_.parameters("model1."); }

  at::Tensor compute(const LossInputs&) const override {
    TORCH_CHECK(false, name(), " embeds sentence_A with its own model1, so it cannot be computed from the model's embeddings alone",
                " (it cannot be wrapped by MatryoshkaLoss, AdaptiveLayerLoss or Matryoshka2dLoss)");
  }

  StagedLoss stage(BatchEmbedder& embedder, const at::Tensor& labels) const override {
    TORCH_CHECK(embedder.numColumns() == 2, name(), " needs (sentence_A, sentence_B) pairs: exactly 2 input columns, got ",
                embedder.numColumns(), " input column(s) (single sentences are paired by ContrastiveTensionDataLoader)");
    const int64_t rows = embedder.rows();
    at::Tensor target = labels.defined() ? labels : identicalPairs(embedder);
    TORCH_CHECK(target.dim() == 1 && target.size(0) == rows, name(), ": ", target.numel(), " labels for a batch of ", rows, " rows");
    at::Tensor a = model1_.embed(embedder.texts(0, 0, rows), embedder.device(), embedder.precision());
    at::Tensor b = embedder.embedColumn(1);
    at::Tensor scores = (a * b).sum(1);
    at::Tensor value = at::binary_cross_entropy_with_logits(scores, target.to(scores.scalar_type()), {}, {}, at::Reduction::Sum);
    return {value, [value](const at::Tensor& gradOutput) { value.backward(gradOutput); }};
  }

 private:
  /** 1 where row i's two texts have the same token ids, else 0: (rows) fp32 on the batch's device. */
  static at::Tensor identicalPairs(const BatchEmbedder& embedder) {
    const int64_t rows = embedder.rows();
    const PackedTexts first = embedder.texts(0, 0, rows), second = embedder.texts(1, 0, rows);
    std::vector<float> same(rows);
    for (int64_t i = 0; i < rows; ++i) {
      const int32_t b1 = first.cuSeqlens[i], e1 = first.cuSeqlens[i + 1], b2 = second.cuSeqlens[i], e2 = second.cuSeqlens[i + 1];
      same[i] = e1 - b1 == e2 - b2 && std::equal(first.inputIds.begin() + b1, first.inputIds.begin() + e1, second.inputIds.begin() + b2);
    }
    return at::tensor(same, at::kFloat).to(embedder.device());
  }

  ModelCopy model1_;
};

}  // namespace

std::unique_ptr<Loss> makeContrastiveTensionLoss(const LossSpec&, const LossContext& context) {
  return std::make_unique<ContrastiveTensionLoss>(context);
}

}  // namespace embedforge
