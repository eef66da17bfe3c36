// Padding happens on the CPU (cheap integer work) and the result moves to the device in one copy.
#include "PackedBatch.h"

#include <c10/util/Exception.h>

#include <algorithm>

namespace embedforge {

PaddedBatch padPacked(const PackedTexts& texts, int64_t vocabSize, int64_t maxPositions, int64_t padTokenId,
                      const at::Device& device) {
  const auto& cu = texts.cuSeqlens;
  const auto& ids = texts.inputIds;
  TORCH_CHECK(cu.size() >= 2, "cuSeqlens must hold at least 2 offsets (one text), got ", cu.size());
  TORCH_CHECK(cu.front() == 0, "cuSeqlens[0] must be 0, got ", cu.front());
  TORCH_CHECK(static_cast<size_t>(cu.back()) == ids.size(), "cuSeqlens ends at ", cu.back(), " but inputIds holds ",
              ids.size(), " ids");
  const int64_t batch = static_cast<int64_t>(cu.size()) - 1;
  int64_t maxLen = 0;
  for (int64_t i = 0; i < batch; ++i) {
    const int64_t len = static_cast<int64_t>(cu[i + 1]) - cu[i];
    TORCH_CHECK(len >= 1, "text ", i, " is empty or cuSeqlens decreases (cuSeqlens[", i, "] = ", cu[i], ", cuSeqlens[",
                i + 1, "] = ", cu[i + 1], ")");
    TORCH_CHECK(len <= maxPositions, "text ", i, " has ", len, " tokens, more than max_position_embeddings ", maxPositions,
                ": truncate it");
    maxLen = std::max(maxLen, len);
  }
  at::Tensor padded = at::full({batch, maxLen}, padTokenId, at::kLong);
  at::Tensor mask = at::zeros({batch, maxLen}, at::kBool);
  at::Tensor lengths = at::empty({batch}, at::kLong);
  auto p = padded.accessor<int64_t, 2>();
  auto m = mask.accessor<bool, 2>();
  auto l = lengths.accessor<int64_t, 1>();
  for (int64_t i = 0; i < batch; ++i) {
    const int64_t start = cu[i], len = cu[i + 1] - cu[i];
    l[i] = len;
    for (int64_t j = 0; j < len; ++j) {
      const int32_t id = ids[start + j];
      TORCH_CHECK(id >= 0 && id < vocabSize, "token id ", id, " of text ", i, " (position ", j, ") is outside the vocabulary [0, ",
                  vocabSize, ")");
      p[i][j] = id;
      m[i][j] = true;
    }
  }
  PaddedBatch out;
  out.ids = padded.to(device);
  out.mask = mask.to(device);
  out.lengths = lengths.to(device);
  out.batchSize = batch;
  out.maxLength = maxLen;
  return out;
}

}  // namespace embedforge
