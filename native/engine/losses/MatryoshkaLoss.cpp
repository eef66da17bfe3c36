// MatryoshkaLoss: any inner loss on embeddings truncated to each of several leading widths.
// Inputs: whatever the inner loss takes; every column (B, D) is cut to (B, d) for each d.
//   loss = sum over (d, w), dims sorted largest first as sentence-transformers sorts them, of
//          w * inner(normalize(columns[:, :d]))
// The truncated rows are renormalized (F.normalize) before the inner loss, as sentence-transformers'
// shrink does, so a dot-product inner loss sees unit vectors too.
#include <c10/util/Exception.h>

#include <algorithm>
#include <numeric>
#include <utility>

#include "LossRegistry.h"
#include "Pooling.h"

namespace embedforge {

namespace {

class MatryoshkaLoss : public Loss {
 public:
  MatryoshkaLoss(std::unique_ptr<Loss> inner, std::vector<std::pair<int64_t, double>> dimsAndWeights)
      : inner_(std::move(inner)), dimsAndWeights_(std::move(dimsAndWeights)) {}

  std::string name() const override { return "MatryoshkaLoss"; }

  at::Tensor compute(const LossInputs& in) const override {
    at::Tensor total;
    for (const auto& [dim, weight] : dimsAndWeights_) {
      TORCH_CHECK(dim <= in.dim(), name(), ": dim ", dim, " exceeds the embedding width ", in.dim());
      LossInputs truncated{{}, in.labels};
      for (const at::Tensor& column : in.columns) truncated.columns.push_back(normalizeRows(column.narrow(1, 0, dim)));
      at::Tensor term = inner_->compute(truncated) * weight;
      total = total.defined() ? total + term : term;
    }
    return total;
  }

 private:
  std::unique_ptr<Loss> inner_;
  std::vector<std::pair<int64_t, double>> dimsAndWeights_;
};

}  // namespace

std::unique_ptr<Loss> makeMatryoshkaLoss(const LossSpec& spec, const LossContext& context) {
  const std::vector<double> dims = spec.numbers("dims");
  const std::vector<double> weights = spec.numbers("weights");
  TORCH_CHECK(!dims.empty() && dims.size() == weights.size(), spec.name(), ": ", dims.size(), " dims and ", weights.size(),
              " weights; give one weight per dim");
  std::vector<std::pair<int64_t, double>> pairs;
  for (size_t i = 0; i < dims.size(); ++i) {
    const auto d = static_cast<int64_t>(dims[i]);
    TORCH_CHECK(d == dims[i] && d > 0 && d <= context.embeddingDim, spec.name(), ": dim ", dims[i], " must be an integer in [1, ",
                context.embeddingDim, "]");
    pairs.emplace_back(d, weights[i]);
  }
  std::stable_sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  return std::make_unique<MatryoshkaLoss>(createLoss(spec.spec("loss"), context), std::move(pairs));
}

}  // namespace embedforge
