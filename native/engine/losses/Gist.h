// What GISTEmbedLoss and CachedGISTEmbedLoss share (Solatorio 2024, "GISTEmbed: Guided In-sample
// Selection of Training Negatives"): the frozen guide model and the guided, masked cross-entropy.
//
// The guide is a second BERT bi-encoder (its own config.json, weights, pooling, normalize) that embeds
// the same token ids as the trained model, in eval mode, without autograd, under the same autocast.
// It must share the model's tokenizer: sentence-transformers re-tokenizes the decoded texts when the
// vocabularies differ (or the guide's max_seq_length is shorter); the engine does not, and the
// TypeScript loss (lib/losses/GISTEmbedLoss.ts) refuses such a guide. Here the guide's vocab_size must
// equal the model's, and every text must fit its position table. Its weights are read on first use
// (on the worker thread of the first step), not on the JS thread at configureTraining.
//
// The loss, for anchor rows [b, e) of a batch of B rows, columns (anchor, positive, negative_1, ...)
// of the model (a, p, n_k) and of the guide (ga, gp, gn_k), sim = cosine:
//   t_i        = sim(ga_i, gp_i)                               the guide's anchor-positive similarity
//   masked(G,S) = S with -inf where G > t_i - margin            (absolute)
//                                 or G > t_i - |t_i| * margin    (relative)
//   ap = masked(sim(ga, gp), sim(a, p)) but never at the anchor's own positive (column b + i)
//   aa = masked(sim(ga, ga), sim(a, a))        if contrast_anchors
//   pp = masked(sim(gp, gp), sim(p, p))        if contrast_positives (rows: the chunk's positives)
//   an_k = masked(sim(ga, gn_k), sim(a, n_k))  for each negative column
//   scores = [ap | aa | pp | an_1 | ...] / temperature            (e - b, B * (2 + C - 2)) at most
//   part   = cross_entropy(scores, target b + i) * (e - b) / B
#pragma once
#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <vector>

#include "Encoder.h"
#include "Loss.h"
#include "LossSpec.h"
#include "Pooling.h"

namespace embedforge {

struct GistOptions {
  double temperature = 0.01;
  bool relativeMargin = false;  // margin_strategy "relative" (else "absolute")
  double margin = 0.0;
  bool contrastAnchors = true;
  bool contrastPositives = true;

  /** temperature, marginStrategy ("absolute" | "relative"), margin, contrastAnchors, contrastPositives. */
  static GistOptions fromSpec(const LossSpec& spec);
};

class GuideModel {
 public:
  /** From the spec's guideConfigJson, guideWeightsPath, guidePooling, guideNormalize. */
  GuideModel(const LossSpec& spec, int64_t modelVocabSize);

  /** (N, D_guide) fp32 embeddings of packed texts, on `device`. */
  at::Tensor embed(const PackedTexts& texts, const at::Device& device, Precision precision) const;
  /** The guide's embeddings of rows [begin, end) of every column of the batch. */
  std::vector<at::Tensor> embedColumns(const BatchEmbedder& embedder, int64_t begin, int64_t end) const;

 private:
  std::string lossName_;
  std::string configJson_;
  std::string weightsPath_;
  PoolingMode pooling_;
  bool normalize_;
  EncoderConfig config_;
  mutable std::unique_ptr<Encoder> encoder_;  // any architecture; loaded on first use
};

/** The loss of anchor rows [begin, end), weighted so that the chunks sum to the batch's loss (formula above). */
at::Tensor gistChunkLoss(const std::vector<at::Tensor>& columns, const std::vector<at::Tensor>& guide, const GistOptions& options,
                         int64_t begin, int64_t end);

}  // namespace embedforge
