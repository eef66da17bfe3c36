// SoftmaxLoss (Sentence-BERT's NLI objective): a linear classifier over features of a sentence pair,
// trained together with the encoder, as sentence-transformers 6 builds it.
// Inputs: 2 columns (B, D), u = sentence A, v = sentence B; labels (B) integer class ids in [0, num_labels).
//   features = cat([u, v] if concatenation_sent_rep, |u - v| if _difference, u * v if _multiplication)  (B, k*D)
//   logits   = features W^T + b          W: (num_labels, k*D), b: (num_labels)
//   loss     = mean_i cross_entropy(logits_i, label_i)
// W and b are the loss's own parameters ("classifier.weight", "classifier.bias"): initialised as
// torch.nn.Linear does (weight kaiming_uniform(a = sqrt(5)), i.e. U(+-1/sqrt(k*D)), then bias
// U(+-1/sqrt(k*D)), drawn in that order from LibTorch's default CPU generator, which the Trainer seeds),
// or given in the spec (classifierWeight row-major, classifierBias) so a test can give both sides one head.
#include <c10/util/Exception.h>

#include <cmath>

#include "LossRegistry.h"

namespace embedforge {

namespace {

class SoftmaxLoss : public Loss {
 public:
  SoftmaxLoss(bool rep, bool difference, bool multiplication, at::Tensor weight, at::Tensor bias)
      : rep_(rep), difference_(difference), multiplication_(multiplication), weight_(std::move(weight)), bias_(std::move(bias)) {}

  std::string name() const override { return "SoftmaxLoss"; }

  std::vector<std::pair<std::string, at::Tensor>> parameters() const override {
    return {{"classifier.weight", weight_}, {"classifier.bias", bias_}};
  }

  at::Tensor compute(const LossInputs& in) const override {
    requireColumns(*this, in, 2, 2, "(sentence_A, sentence_B) pairs: exactly 2 input columns");
    requireLabels(*this, in, "an integer class label per pair");
    const at::Tensor& u = in.columns[0];
    const at::Tensor& v = in.columns[1];
    std::vector<at::Tensor> parts;
    if (rep_) {
      parts.push_back(u);
      parts.push_back(v);
    }
    if (difference_) parts.push_back(at::abs(u - v));
    if (multiplication_) parts.push_back(u * v);
    at::Tensor features = at::cat(parts, 1);
    TORCH_CHECK(features.size(1) == weight_.size(1), name(), ": the classifier takes ", weight_.size(1), " features (",
                parts.size(), " vectors of ", weight_.size(1) / static_cast<int64_t>(parts.size()), "), got embeddings of width ",
                u.size(1), " (a MatryoshkaLoss dim narrower than the model does not fit SoftmaxLoss' classifier)");
    return at::cross_entropy_loss(at::linear(features, weight_, bias_), classIds(in.labels));
  }

 private:
  /** The labels as int64 class ids, checked to be integers in [0, num_labels). */
  at::Tensor classIds(const at::Tensor& labels) const {
    const int64_t numLabels = weight_.size(0);
    at::Tensor ids = labels.to(at::kLong);
    at::Tensor bad = (ids.to(labels.scalar_type()) != labels).logical_or(ids < 0).logical_or(ids >= numLabels);
    if (bad.any().item<bool>()) {
      const int64_t row = bad.nonzero().select(1, 0)[0].item<int64_t>();
      TORCH_CHECK(false, name(), " needs integer class labels in [0, ", numLabels, ") (num_labels = ", numLabels, "), but row ", row,
                  " of the batch has label ", labels[row].item<double>());
    }
    return ids;
  }

  bool rep_, difference_, multiplication_;
  at::Tensor weight_, bias_;
};

/** A CPU fp32 tensor of `shape` from the spec's flat list `key`, checked for its length. */
at::Tensor tensorFromSpec(const LossSpec& spec, const std::string& key, std::vector<int64_t> shape) {
  const std::vector<double> values = spec.numbers(key);
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  TORCH_CHECK(static_cast<int64_t>(values.size()) == n, spec.name(), ": option \"", key, "\" must hold ", n, " numbers (shape ",
              at::IntArrayRef(shape), ", row-major), got ", values.size());
  return at::tensor(values, at::kDouble).to(at::kFloat).reshape(shape);
}

}  // namespace

std::unique_ptr<Loss> makeSoftmaxLoss(const LossSpec& spec, const LossContext& context) {
  const int64_t numLabels = spec.integer("numLabels");
  TORCH_CHECK(numLabels >= 1, spec.name(), ": numLabels must be >= 1, got ", numLabels);
  const bool rep = spec.boolean("concatenationSentRep");
  const bool difference = spec.boolean("concatenationSentDifference");
  const bool multiplication = spec.boolean("concatenationSentMultiplication");
  const int64_t vectors = (rep ? 2 : 0) + (difference ? 1 : 0) + (multiplication ? 1 : 0);
  TORCH_CHECK(vectors > 0, spec.name(),
              ": at least one of concatenation_sent_rep, concatenation_sent_difference or concatenation_sent_multiplication must be true");
  const int64_t fanIn = vectors * context.embeddingDim;
  at::Tensor weight, bias;
  TORCH_CHECK(spec.has("classifierWeight") == spec.has("classifierBias"), spec.name(),
              ": give both classifierWeight and classifierBias, or neither");
  if (spec.has("classifierWeight")) {
    weight = tensorFromSpec(spec, "classifierWeight", {numLabels, fanIn});
    bias = tensorFromSpec(spec, "classifierBias", {numLabels});
  } else {
    // torch.nn.Linear.reset_parameters, with torch.nn.init's arithmetic: gain = sqrt(2 / (1 + a^2)),
    // bound = sqrt(3) * gain / sqrt(fan_in) for the weight; 1 / sqrt(fan_in) for the bias.
    const double a = std::sqrt(5.0);
    const double gain = std::sqrt(2.0 / (1 + a * a));
    const double weightBound = std::sqrt(3.0) * (gain / std::sqrt(static_cast<double>(fanIn)));
    const double biasBound = 1 / std::sqrt(static_cast<double>(fanIn));
    weight = at::empty({numLabels, fanIn}, at::kFloat).uniform_(-weightBound, weightBound);
    bias = at::empty({numLabels}, at::kFloat).uniform_(-biasBound, biasBound);
  }
  weight = weight.to(context.device).detach().requires_grad_(true);
  bias = bias.to(context.device).detach().requires_grad_(true);
  return std::make_unique<SoftmaxLoss>(rep, difference, multiplication, std::move(weight), std::move(bias));
}

}  // namespace embedforge
