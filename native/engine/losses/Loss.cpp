// Shared input checks of the losses (Loss.h).
#include "Loss.h"

#include <c10/util/Exception.h>

namespace embedforge {

StagedLoss Loss::stage(BatchEmbedder& embedder, const at::Tensor& labels) const {
  at::Tensor value = compute(LossInputs{embedder.embedAll(), labels});
  return {value, [value](const at::Tensor& gradOutput) { value.backward(gradOutput); }};
}

std::vector<std::vector<at::Tensor>> BatchEmbedder::embedAllLayers() {
  TORCH_CHECK(false, "this encoder cannot give the embeddings of every layer");
}

void requireColumns(const Loss& loss, const LossInputs& in, int64_t min, int64_t max, const std::string& what) {
  const auto n = static_cast<int64_t>(in.columns.size());
  TORCH_CHECK(n >= min && (max < 0 || n <= max), loss.name(), " needs ", what, ", got ", n, " input column(s)");
}

void requireLabels(const Loss& loss, const LossInputs& in, const std::string& what) {
  TORCH_CHECK(in.labels.defined(), loss.name(), " needs ", what, " (a \"label\" or \"score\" column), but the batch has none");
  TORCH_CHECK(in.labels.dim() == 1 && in.labels.size(0) == in.batchSize(), loss.name(), ": ", in.labels.numel(),
              " labels for a batch of ", in.batchSize(), " rows");
}

void rejectLabels(const Loss& loss, const LossInputs& in) {
  TORCH_CHECK(!in.labels.defined(), loss.name(),
              " takes no labels, but the data has a \"label\"/\"score\" column; drop it or choose a loss that uses it");
}

}  // namespace embedforge
