// ModernBERT forward in ATen ops (autograd records them), weights I/O and initialisation.
#include "ModernBertEncoder.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/grad_mode.h>
#include <c10/util/Exception.h>

#include <cmath>

#include "Attention.h"
#include "LayerCheckpoint.h"

namespace embedforge {

namespace {

bool endsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
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

ModernBertEncoder::ModernBertEncoder(ModernBertConfig config, at::Device device)
    : PretrainedEncoder(device, "model."), config_(std::move(config)) {
  TORCH_CHECK(static_cast<int64_t>(config_.globalLayers.size()) == config_.numHiddenLayers,
              "internal: ModernBertConfig names ", config_.globalLayers.size(), " layer types for ", config_.numHiddenLayers, " layers");
  allocateParameters();
  bindLayers();
}

EncoderConfig ModernBertEncoder::encoderConfig() const {
  return {"modernbert", config_.hiddenSize, config_.vocabSize, config_.maxPositionEmbeddings, config_.numHiddenLayers};
}

std::unique_ptr<Encoder> ModernBertEncoder::createLike() const { return std::make_unique<ModernBertEncoder>(config_, device_); }

PretrainedEncoder::Shapes ModernBertEncoder::expectedShapes() const {
  const int64_t h = config_.hiddenSize, i = config_.intermediateSize;
  Shapes s;
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
void ModernBertEncoder::bindLayers() {
  tokEmb_ = paramOrNone("embeddings.tok_embeddings.weight");
  embNormW_ = paramOrNone("embeddings.norm.weight");
  embNormB_ = paramOrNone("embeddings.norm.bias");
  finalNormW_ = paramOrNone("final_norm.weight");
  finalNormB_ = paramOrNone("final_norm.bias");
  layers_.clear();
  for (int64_t n = 0; n < config_.numHiddenLayers; ++n) {
    const std::string p = "layers." + std::to_string(n) + ".";
    Layer l;
    l.global = config_.globalLayers[n];
    l.attnNormW = paramOrNone(p + "attn_norm.weight"); l.attnNormB = paramOrNone(p + "attn_norm.bias");
    l.qkvW = paramOrNone(p + "attn.Wqkv.weight"); l.qkvB = paramOrNone(p + "attn.Wqkv.bias");
    l.attnOutW = paramOrNone(p + "attn.Wo.weight"); l.attnOutB = paramOrNone(p + "attn.Wo.bias");
    l.mlpNormW = paramOrNone(p + "mlp_norm.weight"); l.mlpNormB = paramOrNone(p + "mlp_norm.bias");
    l.wiW = paramOrNone(p + "mlp.Wi.weight"); l.wiB = paramOrNone(p + "mlp.Wi.bias");
    l.woW = paramOrNone(p + "mlp.Wo.weight"); l.woB = paramOrNone(p + "mlp.Wo.bias");
    layers_.push_back(l);
  }
}

bool ModernBertEncoder::decays(const std::string& name) const {
  // get_decay_parameter_names: nothing inside an nn.LayerNorm (embeddings.norm, attn_norm, mlp_norm, final_norm)
  // and no name containing "bias".
  return name.find("bias") == std::string::npos && name.find("norm") == std::string::npos;
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
    // By value what a checkpointed layer's backward reads again after forward returns (LayerCheckpoint.h).
    x = runLayer([this, &w, n, batch, global, local, t, h, heads, headDim, pAttn, pMlp, training](at::Tensor x) {
      const at::Tensor normed = n == 0 ? x : at::layer_norm(x, {h}, w.attnNormW, w.attnNormB, config_.normEps);
      const std::vector<at::Tensor> qkv = at::linear(normed, w.qkvW, w.qkvB).view({t, 3, heads, headDim}).unbind(1);
      const auto& [cos, sin] = w.global ? global : local;
      const std::optional<int64_t> window = w.global ? std::nullopt : std::optional<int64_t>(config_.windowHalf());
      at::Tensor ctx = varlenSelfAttention(rotate(qkv[0], cos, sin), rotate(qkv[1], cos, sin), qkv[2], batch,
                                           config_.attentionDropout, training, window);
      x = x + at::dropout(at::linear(ctx, w.attnOutW, w.attnOutB), pAttn, training);
      const std::vector<at::Tensor> inputGate = at::linear(at::layer_norm(x, {h}, w.mlpNormW, w.mlpNormB, config_.normEps), w.wiW, w.wiB).chunk(2, -1);
      return x + at::linear(at::dropout(applyActivation(inputGate[0], config_.hiddenActivation) * inputGate[1], pMlp, training), w.woW, w.woB);
    }, x, gradientCheckpointing_ && training);
    if (hiddenStates && n + 1 < layers_.size()) hiddenStates->push_back(x);
  }
  x = at::layer_norm(x, {h}, finalNormW_, finalNormB_, config_.normEps);
  // transformers' hidden_states end with the last layer's output after final_norm (the returned tensor).
  if (hiddenStates) hiddenStates->push_back(x);
  return x;
}

}  // namespace embedforge
