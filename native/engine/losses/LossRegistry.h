// Loss name -> construction. One entry per loss file in this folder; createLoss is the only place
// that knows every loss, and a modifier builds its inner loss through it.
#pragma once
#include <c10/core/Device.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "Loss.h"
#include "LossSpec.h"

namespace embedforge {

/** What a loss may need to know of the model at construction. */
struct LossContext {
  int64_t embeddingDim = 0;
  /** The model's vocab_size (a GIST guide embeds the model's token ids, so it must match). */
  int64_t vocabSize = 0;
  /** Where a loss's own parameters live (Loss::parameters). */
  at::Device device = at::kCPU;
};

using LossFactory = std::unique_ptr<Loss> (*)(const LossSpec&, const LossContext&);

/** Throws naming the unknown loss and listing the known ones. */
std::unique_ptr<Loss> createLoss(const LossSpec& spec, const LossContext& context);
std::vector<std::string> knownLosses();

}  // namespace embedforge
