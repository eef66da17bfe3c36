// model1 of the ContrastiveTension losses: sentence-transformers builds the loss with
// `self.model2 = model; self.model1 = copy.deepcopy(model)`, so model1 is a second, independent
// bi-encoder (BERT -> Pooling -> optional Normalize) that starts as the model's weights at the moment the
// loss is built and is then trained with it (the trainer optimises every parameter of the loss module).
// Here it is copied from the model at configureTraining; its parameters are the loss's own
// (Loss::parameters, "model1.<Hugging Face name>"): in AdamW and the training state, not in the saved model,
// which is model2, the model itself.
//
// Dropout: model1 runs without it. sentence-transformers deep-copies a model whose transformer
// from_pretrained left in eval mode, and the trainer only ever calls model.train() on the model (model2),
// never on the loss: model1's transformer stays in eval mode for the whole training.
// Gradients: recorded whenever autograd is on (the engine's eval loss runs without).
#pragma once
#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "Encoder.h"
#include "LossRegistry.h"

namespace embedforge {

class ModelCopy {
 public:
  /** Copies context.encoder's current weights; throws naming the loss when the context has no model. */
  ModelCopy(const LossContext& context, const std::string& lossName);

  /** (N, D) fp32 embeddings of packed texts on `device`, under the model's autocast precision. */
  at::Tensor embed(const PackedTexts& texts, const at::Device& device, Precision precision) const;
  /** "<prefix><Hugging Face name>" for every encoder parameter (leaves with requires_grad). */
  std::vector<std::pair<std::string, at::Tensor>> parameters(const std::string& prefix) const;

 private:
  std::unique_ptr<Encoder> encoder_;
  PoolingMode pooling_;
  bool normalize_;
};

}  // namespace embedforge
