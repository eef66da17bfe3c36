// config.json -> BertConfig, with errors naming the offending field and value.
#include "BertConfig.h"

#include <c10/util/Exception.h>

#include "ConfigFields.h"
#include "Json.h"

namespace embedforge {


BertConfig BertConfig::fromJson(const std::string& text) {
  const JsonValue root = parseJson(text, "config.json");
  TORCH_CHECK(root.kind == JsonValue::Kind::Object, "config.json must be a JSON object");
  std::string arch;
  TORCH_CHECK(namesArchitecture(root, "bert", "Bert", arch), "unsupported architecture ", arch,
              ": embedforge supports BERT-family models (model_type \"bert\")");
  return readFields(root, BertConfig());
}

BertConfig BertConfig::robertaFromJson(const std::string& text) {
  const JsonValue root = parseJson(text, "config.json");
  TORCH_CHECK(root.kind == JsonValue::Kind::Object, "config.json must be a JSON object");
  BertConfig c;
  c.modelType = stringField(root, "model_type", "");
  TORCH_CHECK(c.modelType == "roberta" || c.modelType == "xlm-roberta", "config.json: model_type \"", c.modelType,
              "\" is not a RoBERTa model (\"roberta\" or \"xlm-roberta\")");
  c.padTokenId = 1;  // transformers' RobertaConfig / XLMRobertaConfig default
  c.weightPrefix = "roberta.";
  c = readFields(root, c);
  // transformers' create_position_ids_from_input_ids: padding_idx + cumulative count of non-pad tokens.
  c.positionOffset = c.padTokenId + 1;
  TORCH_CHECK(c.maxPositionEmbeddings > c.positionOffset, "config.json: max_position_embeddings ", c.maxPositionEmbeddings,
              " leaves no position after the offset pad_token_id + 1 = ", c.positionOffset);
  return c;
}

BertConfig BertConfig::readFields(const JsonValue& root, BertConfig c) {
  c.hiddenSize = intField(root, "hidden_size", c.hiddenSize, 1);
  c.numHiddenLayers = intField(root, "num_hidden_layers", c.numHiddenLayers, 1);
  c.numAttentionHeads = intField(root, "num_attention_heads", c.numAttentionHeads, 1);
  c.intermediateSize = intField(root, "intermediate_size", c.intermediateSize, 1);
  c.maxPositionEmbeddings = intField(root, "max_position_embeddings", c.maxPositionEmbeddings, 1);
  c.typeVocabSize = intField(root, "type_vocab_size", c.typeVocabSize, 1);
  c.vocabSize = intField(root, "vocab_size", c.vocabSize, 1);
  c.padTokenId = intField(root, "pad_token_id", c.padTokenId, 0);
  c.hiddenDropoutProb = numberField(root, "hidden_dropout_prob", c.hiddenDropoutProb);
  c.attentionProbsDropoutProb = numberField(root, "attention_probs_dropout_prob", c.attentionProbsDropoutProb);
  c.layerNormEps = numberField(root, "layer_norm_eps", c.layerNormEps);
  c.initializerRange = numberField(root, "initializer_range", c.initializerRange);
  TORCH_CHECK(c.hiddenSize % c.numAttentionHeads == 0, "config.json: hidden_size ", c.hiddenSize,
              " is not a multiple of num_attention_heads ", c.numAttentionHeads);
  TORCH_CHECK(c.hiddenDropoutProb >= 0 && c.hiddenDropoutProb < 1, "config.json: hidden_dropout_prob = ", c.hiddenDropoutProb, " must be in [0, 1)");
  TORCH_CHECK(c.attentionProbsDropoutProb >= 0 && c.attentionProbsDropoutProb < 1,
              "config.json: attention_probs_dropout_prob = ", c.attentionProbsDropoutProb, " must be in [0, 1)");
  TORCH_CHECK(c.padTokenId < c.vocabSize, "config.json: pad_token_id ", c.padTokenId, " >= vocab_size ", c.vocabSize);

  c.hiddenAct = activationFromName(stringField(root, "hidden_act", "gelu"), "hidden_act");

  const std::string posType = stringField(root, "position_embedding_type", "absolute");
  TORCH_CHECK(posType == "absolute", "config.json: unsupported position_embedding_type \"", posType, "\" (only \"absolute\")");
  return c;
}

}  // namespace embedforge
