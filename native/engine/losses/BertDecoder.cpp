// TSDAE's BERT decoder (BertDecoder.h): its forward in ATen ops, over the encoder's tensors and its own.
#include "BertDecoder.h"

#include <c10/util/Exception.h>

#include <cmath>

namespace embedforge {

namespace {

std::string crossPrefix(int64_t layer) { return "decoder.bert.encoder.layer." + std::to_string(layer) + ".crossattention."; }

}  // namespace

std::vector<std::pair<std::string, std::vector<int64_t>>> BertDecoder::ownShapes(const BertConfig& c) {
  const int64_t h = c.hiddenSize;
  std::vector<std::pair<std::string, std::vector<int64_t>>> s;
  for (int64_t n = 0; n < c.numHiddenLayers; ++n) {
    const std::string p = crossPrefix(n);
    for (const char* qkv : {"query", "key", "value"}) {
      s.push_back({p + "self." + qkv + ".weight", {h, h}});
      s.push_back({p + "self." + qkv + ".bias", {h}});
    }
    s.push_back({p + "output.dense.weight", {h, h}});
    s.push_back({p + "output.dense.bias", {h}});
    s.push_back({p + "output.LayerNorm.weight", {h}});
    s.push_back({p + "output.LayerNorm.bias", {h}});
  }
  s.push_back({"decoder.cls.predictions.transform.dense.weight", {h, h}});
  s.push_back({"decoder.cls.predictions.transform.dense.bias", {h}});
  s.push_back({"decoder.cls.predictions.transform.LayerNorm.weight", {h}});
  s.push_back({"decoder.cls.predictions.transform.LayerNorm.bias", {h}});
  s.push_back({"decoder.cls.predictions.bias", {c.vocabSize}});
  return s;
}

BertDecoder::BertDecoder(const BertEncoder& encoder, Named ownParams) : encoder_(encoder), own_(std::move(ownParams)) {
  const auto shapes = ownShapes(encoder_.config());
  TORCH_CHECK(own_.size() == shapes.size(), "internal: BertDecoder got ", own_.size(), " own parameters, expected ", shapes.size());
  for (size_t i = 0; i < shapes.size(); ++i) {
    TORCH_CHECK(own_[i].first == shapes[i].first && own_[i].second.sizes() == at::IntArrayRef(shapes[i].second),
                "internal: BertDecoder parameter ", i, " is ", own_[i].first, " ", own_[i].second.sizes(), ", expected ",
                shapes[i].first, " ", at::IntArrayRef(shapes[i].second));
  }
  for (int64_t n = 0; n < encoder_.config().numHiddenLayers; ++n) {
    const std::string p = crossPrefix(n);
    CrossAttention c;
    c.qW = ownTensor(p + "self.query.weight"); c.qB = ownTensor(p + "self.query.bias");
    c.kW = ownTensor(p + "self.key.weight"); c.kB = ownTensor(p + "self.key.bias");
    c.vW = ownTensor(p + "self.value.weight"); c.vB = ownTensor(p + "self.value.bias");
    c.oW = ownTensor(p + "output.dense.weight"); c.oB = ownTensor(p + "output.dense.bias");
    c.lnW = ownTensor(p + "output.LayerNorm.weight"); c.lnB = ownTensor(p + "output.LayerNorm.bias");
    cross_.push_back(c);
  }
  headW_ = ownTensor("decoder.cls.predictions.transform.dense.weight");
  headB_ = ownTensor("decoder.cls.predictions.transform.dense.bias");
  headLnW_ = ownTensor("decoder.cls.predictions.transform.LayerNorm.weight");
  headLnB_ = ownTensor("decoder.cls.predictions.transform.LayerNorm.bias");
  outputBias_ = ownTensor("decoder.cls.predictions.bias");
}

const at::Tensor& BertDecoder::shared(const std::string& name) const {
  // The encoder's tensors themselves: gradients of both uses add up in them, as tied parameters do.
  for (const auto& [n, t] : encoder_.parameters()) {
    if (n == name) return t;
  }
  TORCH_CHECK(false, "internal: the encoder has no parameter ", name);
}

const at::Tensor& BertDecoder::ownTensor(const std::string& name) const {
  for (const auto& [n, t] : own_) {
    if (n == name) return t;
  }
  TORCH_CHECK(false, "internal: the decoder has no parameter ", name);
}

at::Tensor BertDecoder::forward(const at::Tensor& ids, const at::Tensor& memory, bool training) const {
  const BertConfig& c = encoder_.config();
  TORCH_CHECK(ids.dim() == 2 && memory.dim() == 2 && memory.size(0) == ids.size(0) && memory.size(1) == c.hiddenSize,
              "internal: BertDecoder takes ids (B, L) and memory (B, ", c.hiddenSize, "), got ", ids.sizes(), " and ", memory.sizes());
  const int64_t b = ids.size(0), len = ids.size(1), h = c.hiddenSize, heads = c.numAttentionHeads, headDim = h / heads;
  TORCH_CHECK(len <= c.maxPositionEmbeddings, "the decoder input has ", len, " tokens, more than max_position_embeddings = ",
              c.maxPositionEmbeddings);
  const double pHidden = training ? c.hiddenDropoutProb : 0.0;
  const double pAttention = training ? c.attentionProbsDropoutProb : 0.0;
  const double eps = c.layerNormEps;
  // (B, L, H) -> (B, heads, L, headDim), as transformers splits heads.
  auto split = [&](const at::Tensor& y) { return y.view({b, -1, heads, headDim}).transpose(1, 2); };
  auto merge = [&](const at::Tensor& y) { return y.transpose(1, 2).reshape({b, -1, h}); };

  // Embeddings, in transformers' order: word + token type 0, then + position.
  at::Tensor positions = at::arange(len, ids.options().dtype(at::kLong));
  at::Tensor x = at::embedding(shared("embeddings.word_embeddings.weight"), ids) +
                 shared("embeddings.token_type_embeddings.weight").select(0, 0);
  x = x + at::embedding(shared("embeddings.position_embeddings.weight"), positions);
  x = at::layer_norm(x, {h}, shared("embeddings.LayerNorm.weight"), shared("embeddings.LayerNorm.bias"), eps);
  x = at::dropout(x, pHidden, training);

  // The memory token's keys and values do not depend on the position: (B, heads, 1, headDim).
  at::Tensor mem = memory.unsqueeze(1);
  for (int64_t n = 0; n < c.numHiddenLayers; ++n) {
    const std::string p = "encoder.layer." + std::to_string(n) + ".";
    auto w = [&](const std::string& name) -> const at::Tensor& { return shared(p + name); };
    // Causal self-attention (the encoder's weights).
    at::Tensor q = split(at::linear(x, w("attention.self.query.weight"), w("attention.self.query.bias")));
    at::Tensor k = split(at::linear(x, w("attention.self.key.weight"), w("attention.self.key.bias")));
    at::Tensor v = split(at::linear(x, w("attention.self.value.weight"), w("attention.self.value.bias")));
    at::Tensor ctx = merge(at::scaled_dot_product_attention(q, k, v, /*attn_mask=*/{}, pAttention, /*is_causal=*/true));
    at::Tensor a = at::dropout(at::linear(ctx, w("attention.output.dense.weight"), w("attention.output.dense.bias")), pHidden, training);
    x = at::layer_norm(a + x, {h}, w("attention.output.LayerNorm.weight"), w("attention.output.LayerNorm.bias"), eps);
    // Cross-attention to the one memory token (the decoder's own weights).
    const CrossAttention& cw = cross_[n];
    at::Tensor cq = split(at::linear(x, cw.qW, cw.qB));
    at::Tensor ck = split(at::linear(mem, cw.kW, cw.kB));
    at::Tensor cv = split(at::linear(mem, cw.vW, cw.vB));
    at::Tensor probs = at::softmax(at::matmul(cq, ck.transpose(2, 3)) * (1.0 / std::sqrt(static_cast<double>(headDim))), -1);
    probs = at::dropout(probs, pAttention, training);
    at::Tensor cctx = merge(at::matmul(probs, cv));
    at::Tensor co = at::dropout(at::linear(cctx, cw.oW, cw.oB), pHidden, training);
    x = at::layer_norm(co + x, {h}, cw.lnW, cw.lnB, eps);
    // Feed-forward (the encoder's weights).
    at::Tensor inner = applyActivation(at::linear(x, w("intermediate.dense.weight"), w("intermediate.dense.bias")), c.hiddenAct);
    at::Tensor o = at::dropout(at::linear(inner, w("output.dense.weight"), w("output.dense.bias")), pHidden, training);
    x = at::layer_norm(o + x, {h}, w("output.LayerNorm.weight"), w("output.LayerNorm.bias"), eps);
  }
  // LM head: transform, then the output projection tied to the word embeddings, with its own bias.
  at::Tensor t = at::layer_norm(applyActivation(at::linear(x, headW_, headB_), c.hiddenAct), {h}, headLnW_, headLnB_, eps);
  return at::linear(t, shared("embeddings.word_embeddings.weight"), outputBias_);
}

}  // namespace embedforge
