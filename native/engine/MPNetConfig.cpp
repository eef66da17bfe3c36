// config.json -> MPNetConfig, with errors naming the offending field and value.
#include "MPNetConfig.h"

#include <c10/util/Exception.h>

#include "ConfigFields.h"
#include "Json.h"

namespace embedforge {


MPNetConfig MPNetConfig::fromJson(const std::string& text) {
  const JsonValue root = parseJson(text, "config.json");
  TORCH_CHECK(root.kind == JsonValue::Kind::Object, "config.json must be a JSON object");
  std::string described;
  TORCH_CHECK(namesArchitecture(root, "mpnet", "MPNet", described), "config.json: model_type \"", described, "\" is not an MPNet model (\"mpnet\")");
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

  c.hiddenAct = activationFromName(stringField(root, "hidden_act", "gelu"), "hidden_act");
  return c;
}

}  // namespace embedforge
