// config.json -> MPNetConfig, with errors naming the offending field and value.
#include "MPNetConfig.h"

#include <c10/util/Exception.h>

#include "Json.h"

namespace embedforge {

namespace {

int64_t intField(const JsonValue& root, const char* key, int64_t fallback, int64_t minimum) {
  const JsonValue* v = root.find(key);
  if (!v || v->kind == JsonValue::Kind::Null) return fallback;
  TORCH_CHECK(v->kind == JsonValue::Kind::Number && v->isInteger, "config.json: ", key, " must be an integer");
  TORCH_CHECK(v->integer >= minimum, "config.json: ", key, " = ", v->integer, " must be >= ", minimum);
  return v->integer;
}

double numberField(const JsonValue& root, const char* key, double fallback) {
  const JsonValue* v = root.find(key);
  if (!v || v->kind == JsonValue::Kind::Null) return fallback;
  TORCH_CHECK(v->kind == JsonValue::Kind::Number, "config.json: ", key, " must be a number");
  return v->number;
}

std::string stringField(const JsonValue& root, const char* key, const std::string& fallback) {
  const JsonValue* v = root.find(key);
  if (!v || v->kind == JsonValue::Kind::Null) return fallback;
  TORCH_CHECK(v->kind == JsonValue::Kind::String, "config.json: ", key, " must be a string");
  return v->string;
}

// model_type "mpnet", or without one an "architectures" entry naming an MPNet class (MPNetForMaskedLM, ...).
bool isMPNet(const JsonValue& root, std::string& described) {
  const std::string modelType = stringField(root, "model_type", "");
  if (!modelType.empty()) {
    described = modelType;
    return modelType == "mpnet";
  }
  const JsonValue* archs = root.find("architectures");
  if (archs && archs->kind == JsonValue::Kind::Array && !archs->array.empty() &&
      archs->array[0].kind == JsonValue::Kind::String) {
    described = archs->array[0].string;
    return described.rfind("MPNet", 0) == 0;
  }
  described = "(no model_type)";
  return false;
}

}  // namespace

MPNetConfig MPNetConfig::fromJson(const std::string& text) {
  const JsonValue root = parseJson(text, "config.json");
  TORCH_CHECK(root.kind == JsonValue::Kind::Object, "config.json must be a JSON object");
  std::string described;
  TORCH_CHECK(isMPNet(root, described), "config.json: model_type \"", described, "\" is not an MPNet model (\"mpnet\")");
  MPNetConfig c;
  c.hiddenSize = intField(root, "hidden_size", c.hiddenSize, 1);
  c.numHiddenLayers = intField(root, "num_hidden_layers", c.numHiddenLayers, 1);
  c.numAttentionHeads = intField(root, "num_attention_heads", c.numAttentionHeads, 1);
  c.intermediateSize = intField(root, "intermediate_size", c.intermediateSize, 1);
  // The position table needs the padding row and the one before it, plus at least one text position.
  c.maxPositionEmbeddings = intField(root, "max_position_embeddings", c.maxPositionEmbeddings, kPositionOffset + 1);
  // The word table's row kPaddingIdx must exist (transformers' nn.Embedding(padding_idx=1) demands it).
  c.vocabSize = intField(root, "vocab_size", c.vocabSize, kPaddingIdx + 1);
  c.padTokenId = intField(root, "pad_token_id", c.padTokenId, 0);
  c.relativeAttentionNumBuckets = intField(root, "relative_attention_num_buckets", c.relativeAttentionNumBuckets, 1);
  c.hiddenDropoutProb = numberField(root, "hidden_dropout_prob", c.hiddenDropoutProb);
  c.attentionProbsDropoutProb = numberField(root, "attention_probs_dropout_prob", c.attentionProbsDropoutProb);
  c.layerNormEps = numberField(root, "layer_norm_eps", c.layerNormEps);
  c.initializerRange = numberField(root, "initializer_range", c.initializerRange);
  TORCH_CHECK(c.hiddenSize % c.numAttentionHeads == 0, "config.json: hidden_size ", c.hiddenSize,
              " is not a multiple of num_attention_heads ", c.numAttentionHeads);
  TORCH_CHECK(c.hiddenDropoutProb >= 0 && c.hiddenDropoutProb < 1, "config.json: hidden_dropout_prob = ", c.hiddenDropoutProb, " must be in [0, 1)");
  TORCH_CHECK(c.attentionProbsDropoutProb >= 0 && c.attentionProbsDropoutProb < 1,
              "config.json: attention_probs_dropout_prob = ", c.attentionProbsDropoutProb, " must be in [0, 1)");
  TORCH_CHECK(c.layerNormEps > 0, "config.json: layer_norm_eps = ", c.layerNormEps, " must be > 0");
  TORCH_CHECK(c.padTokenId < c.vocabSize, "config.json: pad_token_id ", c.padTokenId, " >= vocab_size ", c.vocabSize);
  TORCH_CHECK(c.relativeAttentionNumBuckets >= kBuckets, "config.json: relative_attention_num_buckets = ",
              c.relativeAttentionNumBuckets, " is not supported: transformers' MPNet buckets relative positions into ", kBuckets,
              " buckets whatever the config says, so the table needs at least ", kBuckets, " rows");

  const std::string act = stringField(root, "hidden_act", "gelu");
  if (act == "gelu") c.hiddenAct = Activation::GeluErf;
  else if (act == "gelu_new" || act == "gelu_pytorch_tanh") c.hiddenAct = Activation::GeluTanh;
  else if (act == "relu") c.hiddenAct = Activation::Relu;
  else TORCH_CHECK(false, "config.json: unsupported hidden_act \"", act, "\" (supported: gelu, gelu_new, gelu_pytorch_tanh, relu)");
  return c;
}

}  // namespace embedforge
