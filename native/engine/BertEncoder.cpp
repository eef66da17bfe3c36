// BERT forward in ATen ops (autograd records them), weights I/O and initialisation.
#include "BertEncoder.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/grad_mode.h>
#include <c10/util/Exception.h>

#include <cmath>
#include <map>

#include "Attention.h"

namespace embedforge {

namespace {

std::string shapeString(at::IntArrayRef shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

at::Tensor activation(const at::Tensor& x, Activation act) {
  switch (act) {
    case Activation::GeluErf: return at::gelu(x, "none");
    case Activation::GeluTanh: return at::gelu(x, "tanh");
    case Activation::Relu: return at::relu(x);
  }
  return x;
}

}  // namespace

BertEncoder::BertEncoder(BertConfig config, at::Device device) : config_(std::move(config)), device_(device) {
  for (const auto& [name, shape] : expectedShapes()) {
    params_.emplace_back(name, at::zeros(shape, at::TensorOptions().dtype(at::kFloat).device(device_)).requires_grad_(true));
  }
  bindLayers();
}

EncoderConfig BertEncoder::encoderConfig() const {
  return {config_.modelType, config_.hiddenSize, config_.vocabSize, config_.maxTextLength(), config_.numHiddenLayers};
}

std::unique_ptr<Encoder> BertEncoder::createLike() const { return std::make_unique<BertEncoder>(config_, device_); }

std::vector<std::pair<std::string, std::vector<int64_t>>> BertEncoder::expectedShapes() const {
  const int64_t h = config_.hiddenSize, i = config_.intermediateSize;
  std::vector<std::pair<std::string, std::vector<int64_t>>> s = {
      {"embeddings.word_embeddings.weight", {config_.vocabSize, h}},
      {"embeddings.position_embeddings.weight", {config_.maxPositionEmbeddings, h}},
      {"embeddings.token_type_embeddings.weight", {config_.typeVocabSize, h}},
      {"embeddings.LayerNorm.weight", {h}},
      {"embeddings.LayerNorm.bias", {h}},
  };
  for (int64_t n = 0; n < config_.numHiddenLayers; ++n) {
    const std::string p = "encoder.layer." + std::to_string(n) + ".";
    for (const char* qkv : {"query", "key", "value"}) {
      s.push_back({p + "attention.self." + qkv + ".weight", {h, h}});
      s.push_back({p + "attention.self." + qkv + ".bias", {h}});
    }
    s.push_back({p + "attention.output.dense.weight", {h, h}});
    s.push_back({p + "attention.output.dense.bias", {h}});
    s.push_back({p + "attention.output.LayerNorm.weight", {h}});
    s.push_back({p + "attention.output.LayerNorm.bias", {h}});
    s.push_back({p + "intermediate.dense.weight", {i, h}});
    s.push_back({p + "intermediate.dense.bias", {i}});
    s.push_back({p + "output.dense.weight", {h, i}});
    s.push_back({p + "output.dense.bias", {h}});
    s.push_back({p + "output.LayerNorm.weight", {h}});
    s.push_back({p + "output.LayerNorm.bias", {h}});
  }
  return s;
}

at::Tensor& BertEncoder::param(const std::string& name) {
  for (auto& [n, t] : params_) {
    if (n == name) return t;
  }
  TORCH_CHECK(false, "internal: no parameter ", name);
}

void BertEncoder::bindLayers() {
  wordEmb_ = param("embeddings.word_embeddings.weight");
  posEmb_ = param("embeddings.position_embeddings.weight");
  typeEmb_ = param("embeddings.token_type_embeddings.weight");
  embLnW_ = param("embeddings.LayerNorm.weight");
  embLnB_ = param("embeddings.LayerNorm.bias");
  layers_.clear();
  for (int64_t n = 0; n < config_.numHiddenLayers; ++n) {
    const std::string p = "encoder.layer." + std::to_string(n) + ".";
    Layer l;
    l.qW = param(p + "attention.self.query.weight"); l.qB = param(p + "attention.self.query.bias");
    l.kW = param(p + "attention.self.key.weight"); l.kB = param(p + "attention.self.key.bias");
    l.vW = param(p + "attention.self.value.weight"); l.vB = param(p + "attention.self.value.bias");
    l.aoW = param(p + "attention.output.dense.weight"); l.aoB = param(p + "attention.output.dense.bias");
    l.aoLnW = param(p + "attention.output.LayerNorm.weight"); l.aoLnB = param(p + "attention.output.LayerNorm.bias");
    l.iW = param(p + "intermediate.dense.weight"); l.iB = param(p + "intermediate.dense.bias");
    l.oW = param(p + "output.dense.weight"); l.oB = param(p + "output.dense.bias");
    l.oLnW = param(p + "output.LayerNorm.weight"); l.oLnB = param(p + "output.LayerNorm.bias");
    layers_.push_back(l);
  }
}

std::vector<std::string> BertEncoder::parameterNames() const {
  std::vector<std::string> names;
  for (const auto& p : params_) names.push_back(p.first);
  return names;
}

bool BertEncoder::decays(const std::string& name) const {
  return name.find("bias") == std::string::npos && name.find("LayerNorm") == std::string::npos;
}

void BertEncoder::load(const std::string& path) {
  TensorMap file = readSafetensors(path);
  // Checkpoints of *For* heads prefix the encoder with "bert." ("roberta."); the encoder's own names carry none.
  const std::string& prefix = config_.weightPrefix;
  TensorMap stripped;
  for (auto& [name, t] : file) {
    const std::string key = name.rfind(prefix, 0) == 0 ? name.substr(prefix.size()) : name;
    TORCH_CHECK(!stripped.count(key), path, ": tensor ", key, " appears both with and without the \"", prefix, "\" prefix");
    stripped.emplace(key, t);
  }
  for (const auto& [name, shape] : expectedShapes()) {
    auto it = stripped.find(name);
    TORCH_CHECK(it != stripped.end(), path, ": missing tensor ", name, " (expected shape ", shapeString(shape), ")");
    TORCH_CHECK(it->second.sizes() == at::IntArrayRef(shape), path, ": tensor ", name, " has shape ",
                shapeString(it->second.sizes()), " but the config wants ", shapeString(shape));
    TORCH_CHECK(it->second.scalar_type() == at::kFloat, path, ": tensor ", name, " is not a floating-point tensor");
  }
  // Weights saved after training diverged hold NaN/Inf and would give NaN embeddings with no error.
  // One pass without a temporary (min and max are NaN or Inf exactly when some value is); the count only on failure.
  for (const auto& [name, shape] : expectedShapes()) {
    const at::Tensor& t = stripped.at(name);
    if (t.numel() == 0) continue;
    const auto [lo, hi] = at::aminmax(t);
    if (std::isfinite(lo.item<double>()) && std::isfinite(hi.item<double>())) continue;
    const int64_t bad = t.numel() - at::isfinite(t).sum().item<int64_t>();
    TORCH_CHECK(false, path, ": tensor ", name, " holds ", bad, " non-finite values (NaN or Inf) of ", t.numel(),
                "; the weights are unusable (saved after training diverged?)");
  }
  // All checks passed: only now replace the weights, so a bad file leaves the model untouched.
  at::NoGradGuard noGrad;
  for (auto& [name, t] : params_) {
    t.copy_(stripped.at(name));
    stripped.erase(name);
  }
  extras_ = std::move(stripped);
}

void BertEncoder::save(const std::string& path) const {
  TensorMap all = extras_;
  for (const auto& [name, t] : params_) all[name] = t.detach();
  writeSafetensors(path, all);
}

void BertEncoder::init(uint64_t seed) {
  // Draws on the CPU from a private generator, so the weights for a seed are the same on every device.
  at::Generator gen = at::detail::createCPUGenerator(seed);
  at::NoGradGuard noGrad;
  for (auto& [name, t] : params_) {
    at::Tensor v;
    const bool isLayerNorm = name.find("LayerNorm") != std::string::npos;
    if (isLayerNorm) {
      v = name.size() >= 6 && name.compare(name.size() - 6, 6, "weight") == 0 ? at::ones(t.sizes()) : at::zeros(t.sizes());
    } else if (name.compare(name.size() - 4, 4, "bias") == 0) {
      v = at::zeros(t.sizes());
    } else {
      v = at::empty(t.sizes(), at::kFloat);
      v.normal_(0.0, config_.initializerRange, gen);
      if (name == "embeddings.word_embeddings.weight") v[config_.padTokenId].zero_();
      // RoBERTa's position table has padding_idx = pad_token_id too (transformers zeroes that row).
      if (config_.positionOffset > 0 && name == "embeddings.position_embeddings.weight") v[config_.padTokenId].zero_();
    }
    t.copy_(v);
  }
  extras_.clear();
}

at::Tensor BertEncoder::forward(const PackedBatch& batch, bool training, std::vector<at::Tensor>* hiddenStates) const {
  const double pHidden = training ? config_.hiddenDropoutProb : 0.0;
  const int64_t t = batch.totalTokens, heads = config_.numAttentionHeads, headDim = config_.hiddenSize / heads;
  // Same summation order as transformers: word + token type (all 0), then + position.
  at::Tensor x = at::embedding(wordEmb_, batch.ids) + typeEmb_.select(0, 0);
  x = x + at::embedding(posEmb_, config_.positionOffset == 0 ? batch.positions : batch.positions + config_.positionOffset);
  x = at::layer_norm(x, {config_.hiddenSize}, embLnW_, embLnB_, config_.layerNormEps);
  x = at::dropout(x, pHidden, training);  // (T, H) from here on
  if (hiddenStates) hiddenStates->assign(1, x);
  auto heads3d = [&](const at::Tensor& y) { return y.view({t, heads, headDim}); };
  for (const Layer& w : layers_) {
    at::Tensor ctx = varlenSelfAttention(heads3d(at::linear(x, w.qW, w.qB)), heads3d(at::linear(x, w.kW, w.kB)),
                                         heads3d(at::linear(x, w.vW, w.vB)), batch, config_.attentionProbsDropoutProb, training);
    at::Tensor a = at::dropout(at::linear(ctx, w.aoW, w.aoB), pHidden, training);
    x = at::layer_norm(a + x, {config_.hiddenSize}, w.aoLnW, w.aoLnB, config_.layerNormEps);
    at::Tensor h = activation(at::linear(x, w.iW, w.iB), config_.hiddenAct);
    at::Tensor o = at::dropout(at::linear(h, w.oW, w.oB), pHidden, training);
    x = at::layer_norm(o + x, {config_.hiddenSize}, w.oLnW, w.oLnB, config_.layerNormEps);
    if (hiddenStates) hiddenStates->push_back(x);
  }
  return x;
}

}  // namespace embedforge
