// The trainable copy of the model that the ContrastiveTension losses own (ModelCopy.h).
#include "ModelCopy.h"

#include <ATen/core/grad_mode.h>
#include <c10/util/Exception.h>

namespace embedforge {

ModelCopy::ModelCopy(const LossContext& context, const std::string& lossName) : pooling_(context.pooling), normalize_(context.normalize) {
  TORCH_CHECK(context.encoder != nullptr, lossName, " trains a copy of the model (model1) and needs the model to copy");
  const Encoder& model = *context.encoder;
  encoder_ = model.createLike();
  at::NoGradGuard noGrad;
  const auto& from = model.parameters();
  const auto& to = encoder_->parameters();
  TORCH_CHECK(from.size() == to.size(), lossName, ": internal: the model copy has ", to.size(), " parameters, the model ", from.size());
  for (size_t i = 0; i < from.size(); ++i) {
    at::Tensor target = to[i].second;  // the encoder's own tensor: filled in place
    target.copy_(from[i].second);
  }
}

at::Tensor ModelCopy::embed(const PackedTexts& texts, const at::Device& device, Precision precision) const {
  const EncoderConfig c = encoder_->encoderConfig();
  PackedBatch batch = packBatch(texts, c.vocabSize, c.maxSequenceLength, device);
  at::Tensor tokens;
  {
    AutocastScope autocast(precision, device);
    tokens = encoder_->forward(batch, /*training=*/false);  // no dropout: see ModelCopy.h
  }
  at::Tensor pooled = pool(tokens.to(at::kFloat), batch, pooling_);
  return normalize_ ? normalizeRows(pooled) : pooled;
}

std::vector<std::pair<std::string, at::Tensor>> ModelCopy::parameters(const std::string& prefix) const {
  std::vector<std::pair<std::string, at::Tensor>> out;
  for (const auto& [name, t] : encoder_->parameters()) out.emplace_back(prefix + name, t);
  return out;
}

}  // namespace embedforge
