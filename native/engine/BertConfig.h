// The fields of a Hugging Face BERT config.json the engine uses. Defaults are transformers' BertConfig
// defaults, so a config that omits a field behaves as in transformers.
#pragma once
#include <cstdint>
#include <string>

namespace embedforge {

enum class Activation { GeluErf, GeluTanh, Relu };

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

  /** Parses config.json text; rejects non-BERT architectures and unsupported options by name. */
  static BertConfig fromJson(const std::string& text);
};

}  // namespace embedforge
