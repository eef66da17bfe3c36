// The fields of a Hugging Face MPNet config.json (model_type "mpnet", e.g. all-mpnet-base-v2) the engine
// uses. Defaults are transformers' MPNetConfig defaults, so a config that omits a field behaves as in
// transformers (max_position_embeddings 512, layer_norm_eps 1e-12; all-mpnet-base-v2 states 514 and 1e-5).
#pragma once
#include <cstdint>
#include <string>

#include "Activation.h"

namespace embedforge {

struct MPNetConfig {
  int64_t hiddenSize = 768;
  int64_t numHiddenLayers = 12;
  int64_t numAttentionHeads = 12;
  int64_t intermediateSize = 3072;
  Activation hiddenAct = Activation::GeluErf;
  double hiddenDropoutProb = 0.1;
  double attentionProbsDropoutProb = 0.1;
  double layerNormEps = 1e-12;
  int64_t maxPositionEmbeddings = 512;
  int64_t vocabSize = 30527;
  double initializerRange = 0.02;
  int64_t padTokenId = 1;
  /** Rows of encoder.relative_attention_bias.weight. transformers buckets with 32 whatever this says
   *  (MPNetEncoder.compute_position_bias is called with its default num_buckets = 32), so only rows
   *  0..31 are ever read and fewer than 32 rows are refused. */
  int64_t relativeAttentionNumBuckets = 32;

  /** transformers' MPNetEmbeddings fixes padding_idx = 1 (not config.pad_token_id): the padding row of
   *  both embedding tables, and positions count from paddingIdx + 1. */
  static constexpr int64_t kPaddingIdx = 1;
  static constexpr int64_t kPositionOffset = kPaddingIdx + 1;
  /** The bucketing transformers applies: 32 buckets (16 per direction, 8 exact), max_distance 128. */
  static constexpr int64_t kBuckets = 32;
  static constexpr int64_t kMaxDistance = 128;

  static constexpr const char* kWeightPrefix = "mpnet.";

  /** Parses config.json text; rejects non-MPNet architectures and unsupported options by name. */
  static MPNetConfig fromJson(const std::string& text);
  /** The longest text in tokens: the position table less the rows before the first text position. */
  int64_t maxTextLength() const { return maxPositionEmbeddings - kPositionOffset; }
};

}  // namespace embedforge
