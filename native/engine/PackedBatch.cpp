// Validation and the per-token integers are CPU work; they travel to the device in one copy
// (ids, positions, segments, offsets side by side) and everything else is derived there.
// On CUDA the host buffer is pinned (PyTorch's caching host allocator) and the copy asynchronous, so
// packing never waits for the GPU: the allocator records the copy on the stream and reuses the buffer
// only once that copy is done, so it may go out of scope here.
#include "PackedBatch.h"

#include <c10/util/Exception.h>

#include <algorithm>

namespace embedforge {

PackedBatch packBatch(const PackedTexts& texts, int64_t vocabSize, int64_t maxPositions, const at::Device& device) {
  const auto& cu = texts.cuSeqlens;
  const auto& ids = texts.inputIds;
  TORCH_CHECK(cu.size() >= 2, "cuSeqlens must hold at least 2 offsets (one text), got ", cu.size());
  TORCH_CHECK(cu.front() == 0, "cuSeqlens[0] must be 0, got ", cu.front());
  TORCH_CHECK(static_cast<size_t>(cu.back()) == ids.size(), "cuSeqlens ends at ", cu.back(), " but inputIds holds ",
              ids.size(), " ids");
  const int64_t batch = static_cast<int64_t>(cu.size()) - 1;
  const int64_t total = static_cast<int64_t>(ids.size());
  int64_t maxLen = 0;
  for (int64_t i = 0; i < batch; ++i) {
    const int64_t len = static_cast<int64_t>(cu[i + 1]) - cu[i];
    TORCH_CHECK(len >= 1, "text ", i, " is empty or cuSeqlens decreases (cuSeqlens[", i, "] = ", cu[i], ", cuSeqlens[",
                i + 1, "] = ", cu[i + 1], ")");
    TORCH_CHECK(len <= maxPositions, "text ", i, " has ", len, " tokens, more than the ", maxPositions,
                " the model's positions allow: truncate it");
    maxLen = std::max(maxLen, len);
  }
  // One host buffer: [ids (T) | positions (T) | segments (T) | cuSeqlens (B + 1)].
  const bool cuda = device.is_cuda();
  at::Tensor host = at::empty({3 * total + batch + 1}, at::TensorOptions().dtype(at::kLong).pinned_memory(cuda));
  int64_t* idsOut = host.data_ptr<int64_t>();
  int64_t* posOut = idsOut + total;
  int64_t* segOut = posOut + total;
  int64_t* cuOut = segOut + total;
  for (int64_t i = 0; i < batch; ++i) {
    const int64_t start = cu[i], len = cu[i + 1] - cu[i];
    for (int64_t j = 0; j < len; ++j) {
      const int32_t id = ids[start + j];
      TORCH_CHECK(id >= 0 && id < vocabSize, "token id ", id, " of text ", i, " (position ", j, ") is outside the vocabulary [0, ",
                  vocabSize, ")");
      idsOut[start + j] = id;
      posOut[start + j] = j;
      segOut[start + j] = i;
    }
  }
  for (int64_t i = 0; i <= batch; ++i) cuOut[i] = cu[i];

  at::Tensor dev = host.to(device, /*non_blocking=*/cuda);
  PackedBatch out;
  out.ids = dev.narrow(0, 0, total);
  out.positions = dev.narrow(0, total, total);
  out.segments = dev.narrow(0, 2 * total, total);
  at::Tensor offsets = dev.narrow(0, 3 * total, batch + 1);
  out.cuSeqlens = offsets.to(at::kInt);
  out.first = offsets.narrow(0, 0, batch);
  out.lengths = offsets.narrow(0, 1, batch) - out.first;
  out.last = out.first + out.lengths - 1;
  out.padIndex = out.segments * maxLen + out.positions;
  at::Tensor columns = at::arange(maxLen, at::TensorOptions().dtype(at::kLong).device(device));
  out.keyMask = columns.unsqueeze(0) < out.lengths.unsqueeze(1);
  out.batchSize = batch;
  out.maxLength = maxLen;
  out.totalTokens = total;
  return out;
}

at::Tensor padTokens(const at::Tensor& packed, const PackedBatch& batch, double fill) {
  std::vector<int64_t> flat = packed.sizes().vec(), shape = packed.sizes().vec();
  flat[0] = batch.batchSize * batch.maxLength;
  shape[0] = batch.maxLength;
  shape.insert(shape.begin(), batch.batchSize);
  return at::full(flat, fill, packed.options()).index_copy(0, batch.padIndex, packed).view(shape);
}

at::Tensor unpadTokens(const at::Tensor& padded, const PackedBatch& batch) {
  return padded.flatten(0, 1).index_select(0, batch.padIndex);
}

}  // namespace embedforge
