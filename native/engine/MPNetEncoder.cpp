// MPNet forward in ATen ops (autograd records them), weights I/O and initialisation.
#include "MPNetEncoder.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/grad_mode.h>
#include <c10/util/Exception.h>

#include <cmath>

#include "BiasedAttention.h"
#include "LayerCheckpoint.h"

namespace embedforge {

namespace {

bool endsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

}  // namespace

MPNetEncoder::MPNetEncoder(MPNetConfig config, at::Device device)
    : PretrainedEncoder(device, MPNetConfig::kWeightPrefix), config_(std::move(config)) {
  allocateParameters();
  bindParameters();
  bucketOfRelative_ = relativePositionBuckets(config_.maxTextLength()).to(device_);
}

EncoderConfig MPNetEncoder::encoderConfig() const {
  return {"mpnet", config_.hiddenSize, config_.vocabSize, config_.maxTextLength(), config_.numHiddenLayers};
}

std::unique_ptr<Encoder> MPNetEncoder::createLike() const { return std::make_unique<MPNetEncoder>(config_, device_); }

PretrainedEncoder::Shapes MPNetEncoder::expectedShapes() const {
  const int64_t h = config_.hiddenSize, i = config_.intermediateSize;
  Shapes s = {
      {"embeddings.word_embeddings.weight", {config_.vocabSize, h}},
      {"embeddings.position_embeddings.weight", {config_.maxPositionEmbeddings, h}},
      {"embeddings.LayerNorm.weight", {h}},
      {"embeddings.LayerNorm.bias", {h}},
  };
  for (int64_t n = 0; n < config_.numHiddenLayers; ++n) {
    const std::string p = "encoder.layer." + std::to_string(n) + ".";
    for (const char* proj : {"q", "k", "v", "o"}) {
      s.push_back({p + "attention.attn." + proj + ".weight", {h, h}});
      s.push_back({p + "attention.attn." + proj + ".bias", {h}});
    }
    s.push_back({p + "attention.LayerNorm.weight", {h}});
    s.push_back({p + "attention.LayerNorm.bias", {h}});
    s.push_back({p + "intermediate.dense.weight", {i, h}});
    s.push_back({p + "intermediate.dense.bias", {i}});
    s.push_back({p + "output.dense.weight", {h, i}});
    s.push_back({p + "output.dense.bias", {h}});
    s.push_back({p + "output.LayerNorm.weight", {h}});
    s.push_back({p + "output.LayerNorm.bias", {h}});
  }
  s.push_back({"encoder.relative_attention_bias.weight", {config_.relativeAttentionNumBuckets, config_.numAttentionHeads}});
  return s;
}

void MPNetEncoder::bindParameters() {
  wordEmb_ = param("embeddings.word_embeddings.weight");
  posEmb_ = param("embeddings.position_embeddings.weight");
  embLnW_ = param("embeddings.LayerNorm.weight");
  embLnB_ = param("embeddings.LayerNorm.bias");
  relBias_ = param("encoder.relative_attention_bias.weight");
  layers_.clear();
  for (int64_t n = 0; n < config_.numHiddenLayers; ++n) {
    const std::string p = "encoder.layer." + std::to_string(n) + ".";
    Layer l;
    l.qW = param(p + "attention.attn.q.weight"); l.qB = param(p + "attention.attn.q.bias");
    l.kW = param(p + "attention.attn.k.weight"); l.kB = param(p + "attention.attn.k.bias");
    l.vW = param(p + "attention.attn.v.weight"); l.vB = param(p + "attention.attn.v.bias");
    l.oW = param(p + "attention.attn.o.weight"); l.oB = param(p + "attention.attn.o.bias");
    l.attnLnW = param(p + "attention.LayerNorm.weight"); l.attnLnB = param(p + "attention.LayerNorm.bias");
    l.iW = param(p + "intermediate.dense.weight"); l.iB = param(p + "intermediate.dense.bias");
    l.outW = param(p + "output.dense.weight"); l.outB = param(p + "output.dense.bias");
    l.outLnW = param(p + "output.LayerNorm.weight"); l.outLnB = param(p + "output.LayerNorm.bias");
    layers_.push_back(l);
  }
}

void MPNetEncoder::init(uint64_t seed) {
  // Draws on the CPU from a private generator, so the weights for a seed are the same on every device.
  at::Generator gen = at::detail::createCPUGenerator(seed);
  at::NoGradGuard noGrad;
  for (auto& [name, t] : params_) {
    at::Tensor v;
    if (name.find("LayerNorm") != std::string::npos) {
      v = endsWith(name, "weight") ? at::ones(t.sizes()) : at::zeros(t.sizes());
    } else if (endsWith(name, ".bias")) {
      v = at::zeros(t.sizes());
    } else {
      // Linear weights, both embedding tables and the relative bias table (an nn.Embedding without padding row).
      v = at::empty(t.sizes(), at::kFloat);
      v.normal_(0.0, config_.initializerRange, gen);
      if (name == "embeddings.word_embeddings.weight" || name == "embeddings.position_embeddings.weight") {
        v[MPNetConfig::kPaddingIdx].zero_();
      }
    }
    t.copy_(v);
  }
  extras_.clear();
}

at::Tensor MPNetEncoder::relativePositionBuckets(int64_t maxTextLength) {
  const int64_t perDirection = MPNetConfig::kBuckets / 2;  // 16: keys before the query, then keys after it
  const int64_t maxExact = perDirection / 2;               // distances 0..7 get a bucket each
  const at::Tensor relative = at::arange(-(maxTextLength - 1), maxTextLength, at::kLong);  // j - i
  at::Tensor n = relative.neg();
  const at::Tensor direction = (n < 0).to(at::kLong) * perDirection;
  n = n.abs();
  // The same fp32 ops in the same order as transformers' relative_position_bucket, so truncation agrees
  // where the value lands on an integer (|n| = 16, 32, 64). log(0) = -inf is discarded by the where.
  at::Tensor large = (at::log(n.to(at::kFloat) / maxExact) /
                      std::log(static_cast<double>(MPNetConfig::kMaxDistance) / static_cast<double>(maxExact)) *
                      (perDirection - maxExact)).to(at::kLong) + maxExact;
  large = at::minimum(large, at::full_like(large, perDirection - 1));
  return direction + at::where(n < maxExact, n, large);
}

at::Tensor MPNetEncoder::positionBias(int64_t length) const {
  const at::Tensor pos = at::arange(length, at::TensorOptions().dtype(at::kLong).device(device_));
  const at::Tensor relative = pos.unsqueeze(0) - pos.unsqueeze(1) + (config_.maxTextLength() - 1);  // [i][j] = j - i, shifted
  const at::Tensor buckets = bucketOfRelative_.index_select(0, relative.reshape({-1})).view({length, length});
  return at::embedding(relBias_, buckets).permute({2, 0, 1});  // (L, L, heads) -> (heads, L, L)
}

at::Tensor MPNetEncoder::forward(const PackedBatch& batch, bool training, std::vector<at::Tensor>* hiddenStates) const {
  const double pHidden = training ? config_.hiddenDropoutProb : 0.0;
  const int64_t t = batch.totalTokens, heads = config_.numAttentionHeads, headDim = config_.hiddenSize / heads;
  at::Tensor x = at::embedding(wordEmb_, batch.ids) + at::embedding(posEmb_, batch.positions + MPNetConfig::kPositionOffset);
  x = at::layer_norm(x, {config_.hiddenSize}, embLnW_, embLnB_, config_.layerNormEps);
  x = at::dropout(x, pHidden, training);  // (T, H) from here on
  if (hiddenStates) hiddenStates->assign(1, x);
  // One bias for all layers, as transformers computes it once per forward; with the key padding folded in.
  const at::Tensor mask = biasedAttentionMask(positionBias(batch.maxLength), batch);
  for (const Layer& w : layers_) {
    // By value what a checkpointed layer's backward reads again after forward returns (LayerCheckpoint.h);
    // the bias is a checkpoint input (it has a graph into the relative bias table, shared by every layer).
    x = runLayer([this, &w, batch, t, heads, headDim, pHidden, training](at::Tensor x, const at::Tensor& mask) {
      auto heads3d = [&](const at::Tensor& y) { return y.view({t, heads, headDim}); };
      at::Tensor ctx = biasedSelfAttention(heads3d(at::linear(x, w.qW, w.qB)), heads3d(at::linear(x, w.kW, w.kB)),
                                           heads3d(at::linear(x, w.vW, w.vB)), mask, batch, config_.attentionProbsDropoutProb, training);
      at::Tensor a = at::dropout(at::linear(ctx, w.oW, w.oB), pHidden, training);
      x = at::layer_norm(a + x, {config_.hiddenSize}, w.attnLnW, w.attnLnB, config_.layerNormEps);
      at::Tensor h = applyActivation(at::linear(x, w.iW, w.iB), config_.hiddenAct);
      at::Tensor o = at::dropout(at::linear(h, w.outW, w.outB), pHidden, training);
      return at::layer_norm(o + x, {config_.hiddenSize}, w.outLnW, w.outLnB, config_.layerNormEps);
    }, x, mask, gradientCheckpointing_ && training);
    if (hiddenStates) hiddenStates->push_back(x);
  }
  return x;
}

}  // namespace embedforge
