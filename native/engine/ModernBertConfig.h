// The fields of a Hugging Face ModernBERT config.json (model_type "modernbert": ModernBERT, gte-modernbert,
// modernbert-embed) the engine uses. Defaults are transformers' ModernBertConfig defaults, so a config that
// omits a field behaves as in transformers. Both ways real files state the layer pattern and rotary bases are
// read: the older global_attn_every_n_layers / global_rope_theta / local_rope_theta keys, and transformers 5's
// layer_types / rope_parameters ({"full_attention": {"rope_theta": ...}, "sliding_attention": {...}}).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "Activation.h"

namespace embedforge {


struct ModernBertConfig {
  int64_t vocabSize = 50368;
  int64_t hiddenSize = 768;
  int64_t intermediateSize = 1152;
  int64_t numHiddenLayers = 22;
  int64_t numAttentionHeads = 12;
  Activation hiddenActivation = Activation::GeluErf;
  int64_t maxPositionEmbeddings = 8192;
  double initializerRange = 0.02;
  double initializerCutoffFactor = 2.0;  // truncated normal at +-cutoff * std (null in config.json: 3, as transformers)
  double normEps = 1e-5;
  bool normBias = false;
  bool attentionBias = false;
  bool mlpBias = false;
  double attentionDropout = 0.0;  // on the attention probabilities and on attn.Wo's output
  double embeddingDropout = 0.0;
  double mlpDropout = 0.0;
  int64_t padTokenId = 50283;  // -1: none (the embedding has no padding row)
  int64_t localAttention = 128;  // the whole window; a local layer's query sees keys within localAttention / 2 either side
  double globalRopeTheta = 160000.0;
  double localRopeTheta = 10000.0;
  /** Per layer: true = global ("full_attention"), false = sliding-window local ("sliding_attention"). */
  std::vector<bool> globalLayers;

  /** Parses config.json text; rejects other architectures and options the engine does not implement by name. */
  static ModernBertConfig fromJson(const std::string& text);

  int64_t headDim() const { return hiddenSize / numAttentionHeads; }
  /** How many positions either side a local layer's query sees (transformers' sliding_window, inclusive). */
  int64_t windowHalf() const { return localAttention / 2; }
};

}  // namespace embedforge
