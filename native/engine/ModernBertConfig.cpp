// config.json -> ModernBertConfig, with errors naming the offending field and value.
#include "ModernBertConfig.h"

#include <c10/util/Exception.h>

#include "ConfigFields.h"
#include "Json.h"

namespace embedforge {

namespace {

bool present(const JsonValue* v) { return v && v->kind != JsonValue::Kind::Null; }

// One entry of rope_parameters ("full_attention" or "sliding_attention"): only the default rotary embedding
// (inverse frequencies theta^(-2i/d)) is implemented; its rope_theta, when given, wins over the older key.
double ropeTheta(const JsonValue& rope, const std::string& layerType, double fallback) {
  const JsonValue* entry = rope.find(layerType);
  if (!present(entry)) return fallback;
  TORCH_CHECK(entry->kind == JsonValue::Kind::Object, "config.json: rope_parameters.", layerType, " must be an object");
  for (const char* typeKey : {"rope_type", "type"}) {
    const std::string type = stringField(*entry, typeKey, "default");
    TORCH_CHECK(type == "default", "config.json: rope_parameters.", layerType, ".", typeKey, " \"", type,
                "\" is not supported (only \"default\" rotary embeddings)");
  }
  const double theta = numberField(*entry, "rope_theta", fallback);
  TORCH_CHECK(theta > 0, "config.json: rope_parameters.", layerType, ".rope_theta = ", theta, " must be > 0");
  return theta;
}

}  // namespace

ModernBertConfig ModernBertConfig::fromJson(const std::string& text) {
  const JsonValue root = parseJson(text, "config.json");
  TORCH_CHECK(root.kind == JsonValue::Kind::Object, "config.json must be a JSON object");
  std::string described;
  TORCH_CHECK(namesArchitecture(root, "modernbert", "ModernBert", described), "config.json: model_type \"", described,
              "\" is not a ModernBERT model (\"modernbert\")");

  ModernBertConfig c;
  c.vocabSize = intField(root, "vocab_size", c.vocabSize, 1);
  c.hiddenSize = intField(root, "hidden_size", c.hiddenSize, 1);
  c.intermediateSize = intField(root, "intermediate_size", c.intermediateSize, 1);
  c.numHiddenLayers = intField(root, "num_hidden_layers", c.numHiddenLayers, 1);
  c.numAttentionHeads = intField(root, "num_attention_heads", c.numAttentionHeads, 1);
  c.maxPositionEmbeddings = intField(root, "max_position_embeddings", c.maxPositionEmbeddings, 1);
  c.initializerRange = numberField(root, "initializer_range", c.initializerRange);
  const JsonValue* cutoff = root.find("initializer_cutoff_factor");
  c.initializerCutoffFactor = present(cutoff) ? numberField(root, "initializer_cutoff_factor", 2.0) : (cutoff ? 3.0 : 2.0);
  c.normEps = numberField(root, "norm_eps", c.normEps);
  c.normBias = boolField(root, "norm_bias", c.normBias);
  c.attentionBias = boolField(root, "attention_bias", c.attentionBias);
  c.mlpBias = boolField(root, "mlp_bias", c.mlpBias);
  c.attentionDropout = dropoutField(root, "attention_dropout", 0.0);
  c.embeddingDropout = dropoutField(root, "embedding_dropout", 0.0);
  c.mlpDropout = dropoutField(root, "mlp_dropout", 0.0);
  const JsonValue* pad = root.find("pad_token_id");
  c.padTokenId = present(pad) ? intField(root, "pad_token_id", c.padTokenId, 0) : (pad ? -1 : c.padTokenId);
  c.localAttention = intField(root, "local_attention", c.localAttention, 0);
  TORCH_CHECK(c.hiddenSize % c.numAttentionHeads == 0, "config.json: hidden_size ", c.hiddenSize,
              " is not a multiple of num_attention_heads ", c.numAttentionHeads);
  TORCH_CHECK(c.headDim() % 2 == 0, "config.json: the head size hidden_size / num_attention_heads = ", c.headDim(),
              " must be even for rotary position embeddings");
  TORCH_CHECK(c.padTokenId < c.vocabSize, "config.json: pad_token_id ", c.padTokenId, " >= vocab_size ", c.vocabSize);
  // transformers sizes the rotary embedding by head_dim when a config carries one; the attention uses hidden / heads.
  const int64_t headDimKey = intField(root, "head_dim", c.headDim(), 1);
  TORCH_CHECK(headDimKey == c.headDim(), "config.json: head_dim ", headDimKey, " differs from hidden_size / num_attention_heads = ",
              c.headDim(), "; not supported");

  c.hiddenActivation = activationFromName(stringField(root, "hidden_activation", "gelu"), "hidden_activation");

  // The layer pattern: layer_types when given, else every global_attn_every_n_layers-th layer (0, n, 2n, ...) global.
  const JsonValue* layerTypes = root.find("layer_types");
  if (present(layerTypes)) {
    TORCH_CHECK(layerTypes->kind == JsonValue::Kind::Array, "config.json: layer_types must be a list");
    TORCH_CHECK(static_cast<int64_t>(layerTypes->array.size()) == c.numHiddenLayers, "config.json: layer_types lists ",
                layerTypes->array.size(), " layers but num_hidden_layers = ", c.numHiddenLayers);
    for (size_t i = 0; i < layerTypes->array.size(); ++i) {
      const JsonValue& t = layerTypes->array[i];
      TORCH_CHECK(t.kind == JsonValue::Kind::String && (t.string == "full_attention" || t.string == "sliding_attention"),
                  "config.json: layer_types[", i, "] must be \"full_attention\" or \"sliding_attention\"",
                  t.kind == JsonValue::Kind::String ? ", got \"" + t.string + "\"" : std::string());
      c.globalLayers.push_back(t.string == "full_attention");
    }
  } else {
    const int64_t every = intField(root, "global_attn_every_n_layers", 3, 1);
    for (int64_t i = 0; i < c.numHiddenLayers; ++i) c.globalLayers.push_back(i % every == 0);
  }

  // Rotary bases: rope_parameters' entries win; the older global_rope_theta / local_rope_theta fill what they leave out.
  const JsonValue* scaling = root.find("rope_scaling");
  TORCH_CHECK(!present(scaling), "config.json: rope_scaling is not supported (only default rotary embeddings)");
  c.globalRopeTheta = numberField(root, "global_rope_theta", c.globalRopeTheta);
  c.localRopeTheta = numberField(root, "local_rope_theta", c.localRopeTheta);
  TORCH_CHECK(c.globalRopeTheta > 0, "config.json: global_rope_theta = ", c.globalRopeTheta, " must be > 0");
  TORCH_CHECK(c.localRopeTheta > 0, "config.json: local_rope_theta = ", c.localRopeTheta, " must be > 0");
  const JsonValue* rope = root.find("rope_parameters");
  if (present(rope)) {
    TORCH_CHECK(rope->kind == JsonValue::Kind::Object, "config.json: rope_parameters must be an object");
    for (const auto& [key, value] : rope->object) {
      TORCH_CHECK(key == "full_attention" || key == "sliding_attention", "config.json: rope_parameters.", key,
                  " is not supported (ModernBERT's rope_parameters has the entries full_attention and sliding_attention)");
    }
    c.globalRopeTheta = ropeTheta(*rope, "full_attention", c.globalRopeTheta);
    c.localRopeTheta = ropeTheta(*rope, "sliding_attention", c.localRopeTheta);
  }
  return c;
}

}  // namespace embedforge
