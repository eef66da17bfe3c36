// The fields of a Hugging Face BERT config.json the engine uses. Defaults are transformers' BertConfig
// defaults, so a config that omits a field behaves as in transformers.
#pragma once
#include <cstdint>
#include <string>

#include "Activation.h"
#include "Json.h"

namespace embedforge {

struct BertConfig {
  int64_t hiddenSize = 768;
  int64_t numHiddenLayers = 12;
  int64_t numAttentionHeads = 12;
  int64_t intermediateSize = 3072;
  Activation hiddenAct = Activation::GeluErf;
  double hiddenDropoutProb = 0.1;
  double attentionProbsDropoutProb = 0.1;
  double layerNormEps = 1e-12;
  int64_t maxPositionEmbeddings = 512;
  int64_t typeVocabSize = 2;
  int64_t vocabSize = 30522;
  double initializerRange = 0.02;
  int64_t padTokenId = 0;
  /** "bert", or "roberta" / "xlm-roberta": RoBERTa is BERT's layers with positions counted from
   *  padding_idx + 1 and the "roberta." prefix in checkpoints with heads. */
  std::string modelType = "bert";
  std::string weightPrefix = "bert.";
  /** Added to each token's 0-based position within its text (RoBERTa: pad_token_id + 1). */
  int64_t positionOffset = 0;

  /** Parses config.json text; rejects non-BERT architectures and unsupported options by name. */
  static BertConfig fromJson(const std::string& text);
  /** config.json of model_type "roberta" or "xlm-roberta" (pad_token_id defaults to 1, as in transformers). */
  static BertConfig robertaFromJson(const std::string& text);
  /** The longest text in tokens: the position table less the offset. */
  int64_t maxTextLength() const { return maxPositionEmbeddings - positionOffset; }

 private:
  /** The architecture-independent fields, read over the defaults in c. */
  static BertConfig readFields(const JsonValue& root, BertConfig c);
};

}  // namespace embedforge
