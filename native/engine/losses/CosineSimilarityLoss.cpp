// CosineSimilarityLoss: regresses the cosine similarity of each pair onto its gold score.
// Inputs: columns (sentence_A, sentence_B), each (B, D); labels (B) float scores.
//   c_i  = cos_score_transformation(F.cosine_similarity(A_i, B_i))   (eps 1e-8; transformation: identity)
//   loss = loss_fct(c, labels): MSELoss mean_i (c_i - y_i)^2, or L1Loss mean_i |c_i - y_i|
#include <c10/util/Exception.h>

#include "LossRegistry.h"

namespace embedforge {

namespace {

enum class Regression { MSE, L1 };

class CosineSimilarityLoss : public Loss {
 public:
  explicit CosineSimilarityLoss(Regression regression) : regression_(regression) {}

  std::string name() const override { return "CosineSimilarityLoss"; }

  at::Tensor compute(const LossInputs& in) const override {
    requireColumns(*this, in, 2, 2, "(sentence_A, sentence_B) columns");
    requireLabels(*this, in, "a float similarity score per pair");
    at::Tensor cosine = at::cosine_similarity(in.columns[0], in.columns[1], 1, 1e-8);
    at::Tensor target = in.labels.view({-1});
    return regression_ == Regression::MSE ? at::mse_loss(cosine, target) : at::l1_loss(cosine, target);
  }

 private:
  Regression regression_;
};

}  // namespace

std::unique_ptr<Loss> makeCosineSimilarityLoss(const LossSpec& spec, const LossContext&) {
  const std::string lossFct = spec.string("lossFct");
  TORCH_CHECK(lossFct == "MSELoss" || lossFct == "L1Loss", spec.name(), ": unknown loss_fct \"", lossFct,
              "\" (supported: MSELoss, L1Loss)");
  const std::string transformation = spec.string("cosScoreTransformation");
  TORCH_CHECK(transformation == "Identity", spec.name(), ": unknown cos_score_transformation \"", transformation,
              "\" (supported: Identity)");
  return std::make_unique<CosineSimilarityLoss>(lossFct == "MSELoss" ? Regression::MSE : Regression::L1);
}

}  // namespace embedforge
