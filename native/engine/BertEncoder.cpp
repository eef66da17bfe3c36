// BERT forward in ATen ops (autograd records them), weights I/O and initialisation.
#include "BertEncoder.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/core/grad_mode.h>
#include <c10/util/Exception.h>

#include <cmath>
#include <map>

#include "Attention.h"
#include "LayerCheckpoint.h"

namespace embedforge {

BertEncoder::BertEncoder(BertConfig config, at::Device device)
    : PretrainedEncoder(device, config.weightPrefix), config_(std::move(config)) {
  allocateParameters();
  bindLayers();
}

EncoderConfig BertEncoder::encoderConfig() const {
  return {config_.modelType, config_.hiddenSize, config_.vocabSize, config_.maxTextLength(), config_.numHiddenLayers};
}

std::unique_ptr<Encoder> BertEncoder::createLike() const { return std::make_unique<BertEncoder>(config_, device_); }

PretrainedEncoder::Shapes BertEncoder::expectedShapes() const {
  const int64_t h = config_.hiddenSize, i = config_.intermediateSize;
  Shapes s = {
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
  for (const Layer& w : layers_) {
    // By value what a checkpointed layer's backward reads again after forward returns (LayerCheckpoint.h).
    x = runLayer([this, &w, batch, t, heads, headDim, pHidden, training](at::Tensor x) {
      // Fused QKV: one (T, H) x (H, 3H) projection instead of three; the weights stay as Hugging Face names
      // them and are concatenated at use (3H x H, small beside the GEMM; its backward splits the gradient).
      const std::vector<at::Tensor> qkv = at::linear(x, at::cat({w.qW, w.kW, w.vW}), at::cat({w.qB, w.kB, w.vB}))
                                              .view({t, 3, heads, headDim}).unbind(1);  // 3 x (T, heads, headDim)
      at::Tensor ctx = varlenSelfAttention(qkv[0], qkv[1], qkv[2], batch, config_.attentionProbsDropoutProb, training);
      at::Tensor a = at::dropout(at::linear(ctx, w.aoW, w.aoB), pHidden, training);
      x = at::layer_norm(a + x, {config_.hiddenSize}, w.aoLnW, w.aoLnB, config_.layerNormEps);
      at::Tensor h = applyActivation(at::linear(x, w.iW, w.iB), config_.hiddenAct);
      at::Tensor o = at::dropout(at::linear(h, w.oW, w.oB), pHidden, training);
      return at::layer_norm(o + x, {config_.hiddenSize}, w.oLnW, w.oLnB, config_.layerNormEps);
    }, x, gradientCheckpointing_ && training);
    if (hiddenStates) hiddenStates->push_back(x);
  }
  return x;
}

}  // namespace embedforge
