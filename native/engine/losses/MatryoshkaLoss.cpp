// MatryoshkaLoss: any inner loss on embeddings truncated to each of several leading widths.
// Inputs: whatever the inner loss takes; every column (B, D) is cut to (B, d) for each d.
//   loss = sum over (d, w), dims sorted largest first as sentence-transformers sorts them, of
//          w * inner(normalize(columns[:, :d]))
// The truncated rows are renormalized (F.normalize) before the inner loss, as sentence-transformers'
// shrink does, so a dot-product inner loss sees unit vectors too.
// n_dims_per_step in (0, #dims): only a random sample of that many dims per call (RandomSample.h), in
// the sorted order (sampledDims, a test option, fixes them). The inner loss's own parameters are ours
// under "loss.".
#include <c10/util/Exception.h>

#include <algorithm>
#include <numeric>
#include <utility>

#include "LossRegistry.h"
#include "Pooling.h"
#include "RandomSample.h"

namespace embedforge {

namespace {

class MatryoshkaLoss : public Loss {
 public:
  MatryoshkaLoss(std::unique_ptr<Loss> inner, std::vector<std::pair<int64_t, double>> dimsAndWeights, int64_t nDimsPerStep,
                 std::vector<int64_t> sampledDims)
      : inner_(std::move(inner)), dimsAndWeights_(std::move(dimsAndWeights)), nDimsPerStep_(nDimsPerStep), sampledDims_(std::move(sampledDims)) {}

  std::vector<std::pair<std::string, at::Tensor>> parameters() const override {
    std::vector<std::pair<std::string, at::Tensor>> out;
    for (auto& [n, t] : inner_->parameters()) out.emplace_back("loss." + n, t);
    return out;
  }

  std::string name() const override { return "MatryoshkaLoss"; }

  at::Tensor compute(const LossInputs& in) const override {
    at::Tensor total;
    for (int64_t index : chooseDims()) {
      const auto& [dim, weight] = dimsAndWeights_[index];
      TORCH_CHECK(dim <= in.dim(), name(), ": dim ", dim, " exceeds the embedding width ", in.dim());
      LossInputs truncated{{}, in.labels};
      for (const at::Tensor& column : in.columns) truncated.columns.push_back(normalizeRows(column.narrow(1, 0, dim)));
      at::Tensor term = inner_->compute(truncated) * weight;
      total = total.defined() ? total + term : term;
    }
    return total;
  }

 private:
  /** Indices into dimsAndWeights_ (largest dim first) this call trains. */
  std::vector<int64_t> chooseDims() const {
    const auto n = static_cast<int64_t>(dimsAndWeights_.size());
    std::vector<int64_t> chosen;
    if (!sampledDims_.empty()) {
      for (int64_t i = 0; i < n; ++i) {
        if (std::find(sampledDims_.begin(), sampledDims_.end(), dimsAndWeights_[i].first) != sampledDims_.end()) chosen.push_back(i);
      }
    } else if (nDimsPerStep_ > 0 && nDimsPerStep_ < n) {
      chosen = sampleIndices(n, nDimsPerStep_);
      std::sort(chosen.begin(), chosen.end());
    } else {
      for (int64_t i = 0; i < n; ++i) chosen.push_back(i);
    }
    return chosen;
  }

  std::unique_ptr<Loss> inner_;
  std::vector<std::pair<int64_t, double>> dimsAndWeights_;
  int64_t nDimsPerStep_;
  std::vector<int64_t> sampledDims_;  // dims (values) to train every call instead of a sample; empty: none given
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
  // Optional in the spec for the specs written before it existed: absent = -1, every dim.
  const int64_t nDimsPerStep = spec.has("nDimsPerStep") ? spec.integer("nDimsPerStep") : -1;
  std::vector<int64_t> sampled;
  if (spec.has("sampledDims")) {
    for (double d : spec.numbers("sampledDims")) {
      TORCH_CHECK(std::find(dims.begin(), dims.end(), d) != dims.end(), spec.name(), ": sampledDims entry ", d, " is not one of the dims");
      sampled.push_back(static_cast<int64_t>(d));
    }
    TORCH_CHECK(!sampled.empty(), spec.name(), ": sampledDims must name at least one dim");
  }
  return std::make_unique<MatryoshkaLoss>(createLoss(spec.spec("loss"), context), std::move(pairs), nDimsPerStep, std::move(sampled));
}

}  // namespace embedforge
