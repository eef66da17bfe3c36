// One micro-batch's BatchEmbedder (MicroBatchEmbedder.h).
#include "MicroBatchEmbedder.h"

#include <ATen/Context.h>
#include <ATen/core/grad_mode.h>
#include <c10/util/Exception.h>

#include <mutex>

namespace embedforge {

namespace {

at::Generator cpuGenerator() { return at::detail::getDefaultCPUGenerator(); }

at::Generator cudaGenerator(const at::Device& device) {
  return at::globalContext().defaultGenerator(at::Device(at::kCUDA, device.has_index() ? device.index() : 0));
}

}  // namespace

MicroBatchEmbedder::MicroBatchEmbedder(const PackedTexts& texts, const PackedBatch& packed, int64_t numColumns, Forward forward,
                                       Pack pack, at::Device device, Precision precision)
    : texts_(texts),
      packed_(packed),
      numColumns_(numColumns),
      rows_(packed.batchSize / numColumns),
      forward_(std::move(forward)),
      pack_(std::move(pack)),
      device_(device),
      precision_(precision) {}

std::vector<at::Tensor> MicroBatchEmbedder::embedAll() {
  at::Tensor embeddings = forward_(packed_);
  std::vector<at::Tensor> columns;
  for (int64_t c = 0; c < numColumns_; ++c) columns.push_back(embeddings.narrow(0, c * rows_, rows_));
  return columns;
}

at::Tensor MicroBatchEmbedder::embedColumn(int64_t column) {
  if (numColumns_ == 1) return forward_(packed_);
  return forward_(pack_(texts(column, 0, rows_)));
}

std::vector<std::vector<at::Tensor>> MicroBatchEmbedder::embedAllLayers() {
  TORCH_CHECK(layersForward_, "this encoder cannot give the embeddings of every layer");
  std::vector<std::vector<at::Tensor>> layers;
  for (const at::Tensor& embeddings : layersForward_(packed_)) {
    std::vector<at::Tensor> columns;
    for (int64_t c = 0; c < numColumns_; ++c) columns.push_back(embeddings.narrow(0, c * rows_, rows_));
    layers.push_back(std::move(columns));
  }
  return layers;
}

void MicroBatchEmbedder::checkRange(int64_t column, int64_t begin, int64_t end) const {
  TORCH_CHECK(column >= 0 && column < numColumns_ && begin >= 0 && begin < end && end <= rows_, "rows [", begin, ", ", end,
              ") of column ", column, " are outside the batch of ", numColumns_, " column(s) x ", rows_, " rows");
}

PackedTexts MicroBatchEmbedder::texts(int64_t column, int64_t begin, int64_t end) const {
  checkRange(column, begin, end);
  const int64_t first = column * rows_ + begin, last = column * rows_ + end;
  const auto& cu = texts_.cuSeqlens;
  PackedTexts out;
  out.inputIds.assign(texts_.inputIds.begin() + cu[first], texts_.inputIds.begin() + cu[last]);
  for (int64_t i = first; i <= last; ++i) out.cuSeqlens.push_back(cu[i] - cu[first]);
  return out;
}

MicroBatchEmbedder::RngState MicroBatchEmbedder::captureRng() const {
  RngState state;
  {
    at::Generator cpu = cpuGenerator();
    std::lock_guard<std::mutex> lock(cpu.mutex());
    state.cpu = cpu.get_state();
  }
  if (device_.is_cuda()) {
    at::Generator cuda = cudaGenerator(device_);
    std::lock_guard<std::mutex> lock(cuda.mutex());
    state.cuda = cuda.get_state();
  }
  return state;
}

void MicroBatchEmbedder::restoreRng(const RngState& state) const {
  {
    at::Generator cpu = cpuGenerator();
    std::lock_guard<std::mutex> lock(cpu.mutex());
    cpu.set_state(state.cpu);
  }
  if (state.cuda.defined()) {
    at::Generator cuda = cudaGenerator(device_);
    std::lock_guard<std::mutex> lock(cuda.mutex());
    cuda.set_state(state.cuda);
  }
}

at::Tensor MicroBatchEmbedder::embed(int64_t column, int64_t begin, int64_t end, bool withGrad) {
  PackedBatch part = pack_(texts(column, begin, end));
  const auto key = std::make_pair(column, begin);
  if (!withGrad) {
    rngStates_[key] = captureRng();
    at::NoGradGuard noGrad;
    return forward_(part);
  }
  auto kept = rngStates_.find(key);
  TORCH_CHECK(kept != rngStates_.end(), "rows [", begin, ", ", end, ") of column ", column,
              " are embedded with gradients before being embedded without (GradCache replays the first pass's RNG state)");
  // As sentence-transformers' RandContext inside fork_rng: the replay draws the first pass's numbers,
  // and the generators continue afterwards as if it had drawn none.
  const RngState outside = captureRng();
  restoreRng(kept->second);
  at::Tensor out;
  try {
    out = forward_(part);
  } catch (...) {
    restoreRng(outside);
    throw;
  }
  restoreRng(outside);
  return out;
}

}  // namespace embedforge
