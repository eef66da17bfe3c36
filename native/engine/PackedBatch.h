// Packed (unpadded) texts -> a padded batch on the device.
// Input: ids (sum of lengths), cuSeqlens (B + 1, cuSeqlens[0] = 0); text i is ids[cu[i], cu[i+1]).
// Output: ids (B, Lmax) int64 right-padded with padTokenId, mask (B, Lmax) bool (true = real token),
// lengths (B) int64; Lmax is the longest text. Token type ids are all 0 and positions 0..len-1,
// which the encoder derives itself.
#pragma once
#include <ATen/ATen.h>

#include <cstdint>
#include <vector>

namespace embedforge {

struct PackedTexts {
  std::vector<int32_t> inputIds;
  std::vector<int32_t> cuSeqlens;
  int64_t numTexts() const { return cuSeqlens.empty() ? 0 : static_cast<int64_t>(cuSeqlens.size()) - 1; }
};

struct PaddedBatch {
  at::Tensor ids;
  at::Tensor mask;
  at::Tensor lengths;
  int64_t batchSize = 0;
  int64_t maxLength = 0;
};

/** Validates the packing (offsets, lengths 1..maxPositions, ids in [0, vocabSize)) and pads it. */
PaddedBatch padPacked(const PackedTexts& texts, int64_t vocabSize, int64_t maxPositions, int64_t padTokenId,
                      const at::Device& device);

}  // namespace embedforge
