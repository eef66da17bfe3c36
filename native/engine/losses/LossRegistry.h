// Loss name -> construction. One entry per loss file in this folder; createLoss is the only place
// that knows every loss, and a modifier builds its inner loss through it.
#pragma once
#include <c10/core/Device.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "Encoder.h"
#include "Loss.h"
#include "LossSpec.h"
#include "Pooling.h"

namespace embedforge {

/** What a loss may need to know of the model at construction. */
struct LossContext {
  int64_t embeddingDim = 0;
  /** The model's vocab_size (a GIST guide embeds the model's token ids, so it must match). */
  int64_t vocabSize = 0;
  /** Where a loss's own parameters live (Loss::parameters). */
  at::Device device = at::kCPU;
  /** The model as it is at configureTraining, for a loss that trains its own copy of it (ContrastiveTension's
   *  model1): its encoder (weights read, not kept), pooling and normalization. Null where no model is given.
   *  DenoisingAutoEncoderLoss keeps the pointer: its decoder uses the encoder's tensors (the engine owns both). */
  const Encoder* encoder = nullptr;
  PoolingMode pooling = PoolingMode::Mean;
  bool normalize = false;
};

using LossFactory = std::unique_ptr<Loss> (*)(const LossSpec&, const LossContext&);

/** Throws naming the unknown loss and listing the known ones. */
std::unique_ptr<Loss> createLoss(const LossSpec& spec, const LossContext& context);
std::vector<std::string> knownLosses();

}  // namespace embedforge
