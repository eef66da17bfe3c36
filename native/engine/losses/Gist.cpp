// The guide model and the guided cross-entropy of the GIST losses (Gist.h).
#include "Gist.h"

#include <ATen/core/grad_mode.h>
#include <c10/util/Exception.h>

#include <limits>

#include "EncoderFactory.h"
#include "Similarity.h"

namespace embedforge {

GistOptions GistOptions::fromSpec(const LossSpec& spec) {
  GistOptions o;
  o.temperature = spec.number("temperature");
  TORCH_CHECK(o.temperature > 0, spec.name(), ": temperature must be positive, got ", o.temperature);
  const std::string strategy = spec.string("marginStrategy");
  TORCH_CHECK(strategy == "absolute" || strategy == "relative", spec.name(), ": marginStrategy must be \"absolute\" or \"relative\", got \"",
              strategy, "\"");
  o.relativeMargin = strategy == "relative";
  o.margin = spec.number("margin");
  o.contrastAnchors = spec.boolean("contrastAnchors");
  o.contrastPositives = spec.boolean("contrastPositives");
  return o;
}

namespace {

EncoderConfig guideConfig(const std::string& json, const std::string& lossName) {
  try {
    return readEncoderConfig(json);
  } catch (const std::exception& e) {
    TORCH_CHECK(false, lossName, ": the guide model's config.json: ", e.what());
  }
}

}  // namespace

GuideModel::GuideModel(const LossSpec& spec, int64_t modelVocabSize)
    : lossName_(spec.name()),
      configJson_(spec.string("guideConfigJson")),
      weightsPath_(spec.string("guideWeightsPath")),
      pooling_(poolingModeFromName(spec.string("guidePooling"))),
      normalize_(spec.boolean("guideNormalize")),
      config_(guideConfig(configJson_, lossName_)) {
  TORCH_CHECK(modelVocabSize <= 0 || config_.vocabSize == modelVocabSize, lossName_, ": the guide model's vocabulary has ",
              config_.vocabSize, " tokens and the model's ", modelVocabSize,
              "; the guide must share the model's tokenizer (it embeds the model's token ids)");
}

at::Tensor GuideModel::embed(const PackedTexts& texts, const at::Device& device, Precision precision) const {
  if (!encoder_) {
    std::unique_ptr<Encoder> encoder = createEncoder(configJson_, device);
    try {
      encoder->load(weightsPath_);
    } catch (const std::exception& e) {
      TORCH_CHECK(false, lossName_, ": cannot load the guide model's weights ", weightsPath_, ": ", e.what());
    }
    encoder_ = std::move(encoder);
  }
  TORCH_CHECK(encoder_->device() == device, lossName_, ": the guide model lives on ", encoder_->device(), ", the batch on ", device);
  PackedBatch batch = packBatch(texts, config_.vocabSize, config_.maxSequenceLength, device);
  at::NoGradGuard noGrad;
  at::Tensor tokens;
  {
    AutocastScope autocast(precision, device);
    tokens = encoder_->forward(batch, /*training=*/false);
  }
  at::Tensor pooled = pool(tokens.to(at::kFloat), batch, pooling_);
  return normalize_ ? normalizeRows(pooled) : pooled;
}

std::vector<at::Tensor> GuideModel::embedColumns(const BatchEmbedder& embedder, int64_t begin, int64_t end) const {
  std::vector<at::Tensor> out;
  for (int64_t c = 0; c < embedder.numColumns(); ++c) out.push_back(embed(embedder.texts(c, begin, end), embedder.device(), embedder.precision()));
  return out;
}

at::Tensor gistChunkLoss(const std::vector<at::Tensor>& columns, const std::vector<at::Tensor>& guide, const GistOptions& o,
                         int64_t begin, int64_t end) {
  const int64_t batch = columns[0].size(0), rows = end - begin;
  const auto cos = SimilarityFunction::Cosine;
  at::Tensor anchors = columns[0].narrow(0, begin, rows), guideAnchors = guide[0].narrow(0, begin, rows);
  at::Tensor guideAp = pairwiseSimilarity(guideAnchors, guide[1], cos);
  at::Tensor threshold = guideAp.narrow(1, begin, rows).diagonal().view({-1, 1});
  threshold = o.relativeMargin ? threshold - threshold.abs() * o.margin : threshold - o.margin;
  const double minusInf = -std::numeric_limits<double>::infinity();
  auto masked = [&](const at::Tensor& guideSim, const at::Tensor& sim) { return sim.masked_fill(guideSim > threshold, minusInf); };

  // The anchor's own positive is the target and is never masked.
  at::Tensor ownPositive = at::zeros_like(guideAp, guideAp.options().dtype(at::kBool));
  ownPositive.narrow(1, begin, rows).diagonal().fill_(true);
  at::Tensor ap = pairwiseSimilarity(anchors, columns[1], cos);
  std::vector<at::Tensor> scores{ap.masked_fill((guideAp > threshold).logical_and(ownPositive.logical_not()), minusInf)};
  if (o.contrastAnchors) {
    scores.push_back(masked(pairwiseSimilarity(guideAnchors, guide[0], cos), pairwiseSimilarity(anchors, columns[0], cos)));
  }
  if (o.contrastPositives) {
    scores.push_back(masked(pairwiseSimilarity(guide[1].narrow(0, begin, rows), guide[1], cos),
                            pairwiseSimilarity(columns[1].narrow(0, begin, rows), columns[1], cos)));
  }
  for (size_t k = 2; k < columns.size(); ++k) {
    scores.push_back(masked(pairwiseSimilarity(guideAnchors, guide[k], cos), pairwiseSimilarity(anchors, columns[k], cos)));
  }
  at::Tensor logits = at::cat(scores, 1) / o.temperature;
  at::Tensor target = logits.narrow(1, begin, rows).diagonal();
  return (at::logsumexp(logits, {1}) - target).mean() * rows / batch;
}

}  // namespace embedforge
