// AdaptiveLayerLoss (the layer half of 2D Matryoshka embeddings): the inner loss on the last layer's
// embeddings and on those of prior layers, plus a KL term pulling each prior layer's distribution over
// embedding dims towards the last layer's, as sentence-transformers 6 computes it.
// Inputs: whatever the inner loss takes, plus LossInputs::layers: every column pooled (and normalized,
// as the model's modules do) from every hidden state, L + 1 of them for L encoder layers (0 = the
// embedding layer's output); the engine computes them in the one forward (stage -> embedAllLayers).
//   candidates = 0 .. L-1 (every hidden state but the last); n_layers_per_step in (0, L): a random
//                sample of that many (RandomSample.h), else all of them in order
//   loss  = last_layer_weight * inner(layer L)
//         + sum over sampled l of inner(layer l) * w(l) / n_sampled * prior_layers_weight
//         + sum over sampled l of KL * kl_temperature * kl_div_weight          (when kl_temperature > 0)
//   w(l)  = 1 (uniform), 1 / (1 + ln(1 + l)) (log), 1 / (1 + l) (linear)
//   KL    = kl_div(log_softmax(E_l / T), softmax(E_L / T) detached, batchmean), E_x = all columns of
//           layer x stacked (C * B, D), T = kl_temperature: the last layer is the teacher, no gradient.
// Loss-owned parameters of the inner loss (SoftmaxLoss' head) are shared by every layer's term.
#include <c10/util/Exception.h>

#include <cmath>
#include <optional>

#include "LossRegistry.h"
#include "RandomSample.h"

namespace embedforge {

namespace {

enum class LayerWeighting { Uniform, Log, Linear };

struct AdaptiveLayerOptions {
  int64_t nLayersPerStep = 1;
  double lastLayerWeight = 1, priorLayersWeight = 1, klDivWeight = 1, klTemperature = 0.3;
  LayerWeighting weighting = LayerWeighting::Uniform;
  std::optional<std::vector<int64_t>> sampledLayers;  // test hook: these layers instead of a random sample
};

class AdaptiveLayerLoss : public Loss {
 public:
  AdaptiveLayerLoss(std::unique_ptr<Loss> inner, AdaptiveLayerOptions o) : inner_(std::move(inner)), o_(std::move(o)) {}

  std::string name() const override { return "AdaptiveLayerLoss"; }

  std::vector<std::pair<std::string, at::Tensor>> parameters() const override {
    std::vector<std::pair<std::string, at::Tensor>> out;
    for (auto& [n, t] : inner_->parameters()) out.emplace_back("loss." + n, t);
    return out;
  }

  /** One forward that keeps every hidden state; the default stage's autograd backward. */
  StagedLoss stage(BatchEmbedder& embedder, const at::Tensor& labels) const override {
    LossInputs in;
    in.layers = embedder.embedAllLayers();
    TORCH_CHECK(!in.layers.empty(), name(), ": the encoder returned no layers");
    in.columns = in.layers.back();
    in.labels = labels;
    at::Tensor value = compute(in);
    return {value, [value](const at::Tensor& gradOutput) { value.backward(gradOutput); }};
  }

  at::Tensor compute(const LossInputs& in) const override {
    TORCH_CHECK(in.layers.size() >= 2, name(), " needs the embeddings of every encoder layer, got ", in.layers.size(),
                " layer(s); it cannot be wrapped by another loss");
    const int64_t candidates = static_cast<int64_t>(in.layers.size()) - 1;
    at::Tensor loss = inner_->compute(LossInputs{in.columns, in.labels}) * o_.lastLayerWeight;
    const bool kl = o_.klTemperature > 0;
    at::Tensor teacher;
    if (kl) teacher = at::softmax(at::cat(in.columns, 0) / o_.klTemperature, -1).detach();

    const std::vector<int64_t> chosen = chooseLayers(candidates);
    for (int64_t layer : chosen) {
      const std::vector<at::Tensor>& columns = in.layers[layer];
      at::Tensor layerLoss = inner_->compute(LossInputs{columns, in.labels});
      loss = loss + layerLoss * weight(layer) / static_cast<double>(chosen.size()) * o_.priorLayersWeight;
      if (kl) {
        at::Tensor student = at::log_softmax(at::cat(columns, 0) / o_.klTemperature, -1);
        at::Tensor klDiv = at::kl_div(student, teacher, at::Reduction::Sum) / static_cast<double>(student.size(0));
        loss = loss + klDiv * o_.klTemperature * o_.klDivWeight;
      }
    }
    return loss;
  }

 private:
  std::vector<int64_t> chooseLayers(int64_t candidates) const {
    if (o_.sampledLayers) {
      for (int64_t l : *o_.sampledLayers) {
        TORCH_CHECK(l >= 0 && l < candidates, name(), ": sampledLayers entry ", l, " is not a prior layer (0..", candidates - 1, ")");
      }
      return *o_.sampledLayers;
    }
    if (o_.nLayersPerStep > 0 && o_.nLayersPerStep < candidates) return sampleIndices(candidates, o_.nLayersPerStep);
    std::vector<int64_t> all(candidates);
    for (int64_t i = 0; i < candidates; ++i) all[i] = i;
    return all;
  }

  double weight(int64_t layer) const {
    switch (o_.weighting) {
      case LayerWeighting::Log: return 1.0 / (1.0 + std::log(1.0 + static_cast<double>(layer)));
      case LayerWeighting::Linear: return 1.0 / static_cast<double>(1 + layer);
      case LayerWeighting::Uniform: break;
    }
    return 1.0;
  }

  std::unique_ptr<Loss> inner_;
  AdaptiveLayerOptions o_;
};

LayerWeighting weightingFromName(const LossSpec& spec) {
  const std::string w = spec.string("layerWeighting");
  if (w == "uniform") return LayerWeighting::Uniform;
  if (w == "log") return LayerWeighting::Log;
  if (w == "linear") return LayerWeighting::Linear;
  TORCH_CHECK(false, spec.name(), ": layerWeighting must be \"uniform\", \"log\" or \"linear\", got \"", w, "\"");
}

}  // namespace

std::unique_ptr<Loss> makeAdaptiveLayerLoss(const LossSpec& spec, const LossContext& context) {
  AdaptiveLayerOptions o;
  o.nLayersPerStep = spec.integer("nLayersPerStep");
  o.lastLayerWeight = spec.number("lastLayerWeight");
  o.priorLayersWeight = spec.number("priorLayersWeight");
  o.klDivWeight = spec.number("klDivWeight");
  o.klTemperature = spec.number("klTemperature");
  TORCH_CHECK(o.klTemperature >= 0, spec.name(), ": klTemperature must be >= 0 (0 turns the KL term off), got ", o.klTemperature);
  o.weighting = weightingFromName(spec);
  if (spec.has("sampledLayers")) {
    std::vector<int64_t> layers;
    for (double l : spec.numbers("sampledLayers")) {
      TORCH_CHECK(l == std::floor(l), spec.name(), ": sampledLayers must hold integers, got ", l);
      layers.push_back(static_cast<int64_t>(l));
    }
    o.sampledLayers = std::move(layers);
  }
  std::unique_ptr<Loss> inner = createLoss(spec.spec("loss"), context);
  TORCH_CHECK(inner->name() != "AdaptiveLayerLoss", spec.name(), " cannot wrap another AdaptiveLayerLoss");
  return std::make_unique<AdaptiveLayerLoss>(std::move(inner), std::move(o));
}

}  // namespace embedforge
