// ModernBERT forward in ATen ops (autograd records them), weights I/O and initialisation.
#include "ModernBertEncoder.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/grad_mode.h>
#include <c10/util/Exception.h>

#include <cmath>

#include "Attention.h"

namespace embedforge {

namespace {

const char* kPrefix = "model.";  // ModernBertForMaskedLM & co. keep the encoder under "model."

std::string shapeString(at::IntArrayRef shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

bool endsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

at::Tensor activation(const at::Tensor& x, ModernBertActivation act) {
  switch (act) {
    case ModernBertActivation::GeluErf: return at::gelu(x, "none");
    case ModernBertActivation::GeluTanh: return at::gelu(x, "tanh");
    case ModernBertActivation::Relu: return at::relu(x);
    case ModernBertActivation::Silu: return at::silu(x);
  }
  return x;
}

// Normal(0, std) truncated to [-cutoff * std, cutoff * std], by inverting the normal CDF on a uniform draw
// restricted to the interval's probability mass (the method torch.nn.init.trunc_normal_ uses).
at::Tensor truncatedNormal(at::IntArrayRef sizes, double std, double cutoff, at::Generator& gen) {
  const auto cdf = [](double z) { return 0.5 * (1.0 + std::erf(z / std::sqrt(2.0))); };
  const double lo = cdf(-cutoff), hi = cdf(cutoff);
  at::Tensor v = at::empty(sizes, at::kFloat);
  v.uniform_(2 * lo - 1, 2 * hi - 1, gen);
  v.erfinv_();
  v.mul_(std * std::sqrt(2.0));
  return v.clamp_(-cutoff * std, cutoff * std);
}

// x * cos + rotate_half(x) * sin, rotate_half(x) = (-x[d/2:], x[:d/2]); x (T, heads, headDim), cos/sin (T, headDim).
// Computed in fp32 and returned in x's dtype, as transformers does under autocast.
at::Tensor rotate(const at::Tensor& x, const at::Tensor& cos, const at::Tensor& sin) {
  const at::Tensor xf = x.to(at::kFloat);
  const int64_t half = xf.size(-1) / 2;
  const at::Tensor rotated = at::cat({xf.narrow(-1, half, half).neg(), xf.narrow(-1, 0, half)}, -1);
  return (xf * cos.unsqueeze(1) + rotated * sin.unsqueeze(1)).to(x.scalar_type());
}

}  // namespace

ModernBertEncoder::ModernBertEncoder(ModernBertConfig config, at::Device device) : config_(std::move(config)), device_(device) {
  TORCH_CHECK(static_cast<int64_t>(config_.globalLayers.size()) == config_.numHiddenLayers,
              "internal: ModernBertConfig names ", config_.globalLayers.size(), " layer types for ", config_.numHiddenLayers, " layers");
  for (const auto& [name, shape] : expectedShapes()) {
    params_.emplace_back(name, at::zeros(shape, at::TensorOptions().dtype(at::kFloat).device(device_)).requires_grad_(true));
  }
  bindLayers();
}

EncoderConfig ModernBertEncoder::encoderConfig() const {
  return {"modernbert", config_.hiddenSize, config_.vocabSize, config_.maxPositionEmbeddings, config_.numHiddenLayers};
}

std::unique_ptr<Encoder> ModernBertEncoder::createLike() const { return std::make_unique<ModernBertEncoder>(config_, device_); }

std::vector<std::pair<std::string, std::vector<int64_t>>> ModernBertEncoder::expectedShapes() const {
  const int64_t h = config_.hiddenSize, i = config_.intermediateSize;
  std::vector<std::pair<std::string, std::vector<int64_t>>> s;
  auto norm = [&](const std::string& name) {
    s.push_back({name + ".weight", {h}});
    if (config_.normBias) s.push_back({name + ".bias", {h}});
  };
  auto linear = [&](const std::string& name, int64_t out, int64_t in, bool bias) {
    s.push_back({name + ".weight", {out, in}});
    if (bias) s.push_back({name + ".bias", {out}});
  };
  s.push_back({"embeddings.tok_embeddings.weight", {config_.vocabSize, h}});
  norm("embeddings.norm");
  for (int64_t n = 0; n < config_.numHiddenLayers; ++n) {
    const std::string p = "layers." + std::to_string(n) + ".";
    if (n > 0) norm(p + "attn_norm");
    linear(p + "attn.Wqkv", 3 * h, h, config_.attentionBias);
    linear(p + "attn.Wo", h, h, config_.attentionBias);
    norm(p + "mlp_norm");
    linear(p + "mlp.Wi", 2 * i, h, config_.mlpBias);
    linear(p + "mlp.Wo", h, i, config_.mlpBias);
  }
  norm("final_norm");
  return s;
}

// The named parameter, or an undefined tensor (an absent bias) that at::linear / at::layer_norm take as none.
at::Tensor ModernBertEncoder::param(const std::string& name) const {
  for (const auto& [n, t] : params_) {
    if (n == name) return t;
  }
  return at::Tensor();
}

void ModernBertEncoder::bindLayers() {
  tokEmb_ = param("embeddings.tok_embeddings.weight");
  embNormW_ = param("embeddings.norm.weight");
  embNormB_ = param("embeddings.norm.bias");
  finalNormW_ = param("final_norm.weight");
  finalNormB_ = param("final_norm.bias");
  layers_.clear();
  for (int64_t n = 0; n < config_.numHiddenLayers; ++n) {
    const std::string p = "layers." + std::to_string(n) + ".";
    Layer l;
    l.global = config_.globalLayers[n];
    l.attnNormW = param(p + "attn_norm.weight"); l.attnNormB = param(p + "attn_norm.bias");
    l.qkvW = param(p + "attn.Wqkv.weight"); l.qkvB = param(p + "attn.Wqkv.bias");
    l.attnOutW = param(p + "attn.Wo.weight"); l.attnOutB = param(p + "attn.Wo.bias");
    l.mlpNormW = param(p + "mlp_norm.weight"); l.mlpNormB = param(p + "mlp_norm.bias");
    l.wiW = param(p + "mlp.Wi.weight"); l.wiB = param(p + "mlp.Wi.bias");
    l.woW = param(p + "mlp.Wo.weight"); l.woB = param(p + "mlp.Wo.bias");
    layers_.push_back(l);
  }
}

std::vector<std::string> ModernBertEncoder::parameterNames() const {
  std::vector<std::string> names;
  for (const auto& p : params_) names.push_back(p.first);
  return names;
}

bool ModernBertEncoder::decays(const std::string& name) const {
  // get_decay_parameter_names: nothing inside an nn.LayerNorm (embeddings.norm, attn_norm, mlp_norm, final_norm)
  // and no name containing "bias".
  return name.find("bias") == std::string::npos && name.find("norm") == std::string::npos;
}

void ModernBertEncoder::load(const std::string& path) {
  TensorMap file = readSafetensors(path);
  const std::string prefix = kPrefix;
  TensorMap stripped;
  for (auto& [name, t] : file) {
    const std::string key = name.rfind(prefix, 0) == 0 ? name.substr(prefix.size()) : name;
    TORCH_CHECK(!stripped.count(key), path, ": tensor ", key, " appears both with and without the \"", prefix, "\" prefix");
    stripped.emplace(key, t);
  }
  const auto shapes = expectedShapes();
  for (const auto& [name, shape] : shapes) {
    auto it = stripped.find(name);
    TORCH_CHECK(it != stripped.end(), path, ": missing tensor ", name, " (expected shape ", shapeString(shape), ")");
    TORCH_CHECK(it->second.sizes() == at::IntArrayRef(shape), path, ": tensor ", name, " has shape ",
                shapeString(it->second.sizes()), " but the config wants ", shapeString(shape));
    TORCH_CHECK(it->second.scalar_type() == at::kFloat, path, ": tensor ", name, " is not a floating-point tensor");
  }
  // Weights saved after training diverged hold NaN/Inf and would give NaN embeddings with no error.
  for (const auto& [name, shape] : shapes) {
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

void ModernBertEncoder::save(const std::string& path) const {
  TensorMap all = extras_;
  for (const auto& [name, t] : params_) all[name] = t.detach();
  writeSafetensors(path, all);
}

void ModernBertEncoder::init(uint64_t seed) {
  at::Generator gen = at::detail::createCPUGenerator(seed);
  at::NoGradGuard noGrad;
  const double in = config_.initializerRange;
  const double out = config_.initializerRange / std::sqrt(2.0 * static_cast<double>(config_.numHiddenLayers));
  const double cutoff = config_.initializerCutoffFactor;
  for (auto& [name, t] : params_) {
    at::Tensor v;
    if (endsWith(name, ".bias")) {
      v = at::zeros(t.sizes());
    } else if (name.find("norm") != std::string::npos) {
      v = at::ones(t.sizes());
    } else if (endsWith(name, "attn.Wo.weight") || endsWith(name, "mlp.Wo.weight")) {
      v = truncatedNormal(t.sizes(), out, cutoff, gen);
    } else {  // tok_embeddings (its padding row too: the truncated normal overwrites it), Wqkv, Wi
      v = truncatedNormal(t.sizes(), in, cutoff, gen);
    }
    t.copy_(v);
  }
  extras_.clear();
}

std::pair<at::Tensor, at::Tensor> ModernBertEncoder::rotaryTables(const at::Tensor& positions, double theta) const {
  const int64_t d = config_.headDim();
  const auto opts = at::TensorOptions().dtype(at::kFloat).device(device_);
  const at::Tensor invFreq = at::pow(theta, at::arange(0, d, 2, opts) / static_cast<double>(d)).reciprocal();  // (d/2)
  const at::Tensor freqs = positions.to(at::kFloat).unsqueeze(1) * invFreq.unsqueeze(0);                      // (T, d/2)
  const at::Tensor angles = at::cat({freqs, freqs}, -1);                                                        // (T, d)
  return {angles.cos(), angles.sin()};
}

at::Tensor ModernBertEncoder::forward(const PackedBatch& batch, bool training, std::vector<at::Tensor>* hiddenStates) const {
  const int64_t t = batch.totalTokens, h = config_.hiddenSize, heads = config_.numAttentionHeads, headDim = config_.headDim();
  const double pAttn = training ? config_.attentionDropout : 0.0;
  const double pMlp = training ? config_.mlpDropout : 0.0;
  at::Tensor x = at::embedding(tokEmb_, batch.ids, config_.padTokenId);
  x = at::layer_norm(x, {h}, embNormW_, embNormB_, config_.normEps);
  x = at::dropout(x, training ? config_.embeddingDropout : 0.0, training);  // (T, H) from here on
  if (hiddenStates) hiddenStates->assign(1, x);

  const auto global = rotaryTables(batch.positions, config_.globalRopeTheta);
  const auto local = rotaryTables(batch.positions, config_.localRopeTheta);
  for (size_t n = 0; n < layers_.size(); ++n) {
    const Layer& w = layers_[n];
    const at::Tensor normed = n == 0 ? x : at::layer_norm(x, {h}, w.attnNormW, w.attnNormB, config_.normEps);
    const std::vector<at::Tensor> qkv = at::linear(normed, w.qkvW, w.qkvB).view({t, 3, heads, headDim}).unbind(1);
    const auto& [cos, sin] = w.global ? global : local;
    const std::optional<int64_t> window = w.global ? std::nullopt : std::optional<int64_t>(config_.windowHalf());
    at::Tensor ctx = varlenSelfAttention(rotate(qkv[0], cos, sin), rotate(qkv[1], cos, sin), qkv[2], batch,
                                         config_.attentionDropout, training, window);
    x = x + at::dropout(at::linear(ctx, w.attnOutW, w.attnOutB), pAttn, training);
    const std::vector<at::Tensor> inputGate = at::linear(at::layer_norm(x, {h}, w.mlpNormW, w.mlpNormB, config_.normEps), w.wiW, w.wiB).chunk(2, -1);
    x = x + at::linear(at::dropout(activation(inputGate[0], config_.hiddenActivation) * inputGate[1], pMlp, training), w.woW, w.woB);
    if (hiddenStates && n + 1 < layers_.size()) hiddenStates->push_back(x);
  }
  x = at::layer_norm(x, {h}, finalNormW_, finalNormB_, config_.normEps);
  // transformers' hidden_states end with the last layer's output after final_norm (the returned tensor).
  if (hiddenStates) hiddenStates->push_back(x);
  return x;
}

}  // namespace embedforge
