// Packed (unpadded) texts -> the index tensors the encoder needs, on the device.
// Input: ids (T = sum of lengths), cuSeqlens (B + 1, cuSeqlens[0] = 0); text i is ids[cu[i], cu[i+1]).
// Hidden states stay packed as (T, H) through the whole encoder; only attention needs per-text
// structure, and it reads it from here: cuSeqlens for varlen kernels, or padIndex and keyMask to
// scatter into (B, Lmax) for the padded kernels. Token type ids are all 0.
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

struct PackedBatch {
  at::Tensor ids;        // (T) int64 token ids
  at::Tensor positions;  // (T) int64, 0..len-1 within each text
  at::Tensor segments;   // (T) int64, the text each token belongs to
  at::Tensor cuSeqlens;  // (B + 1) int32 offsets, as varlen attention kernels take them
  at::Tensor lengths;    // (B) int64
  at::Tensor first;      // (B) int64 packed index of each text's first token
  at::Tensor last;       // (B) int64 packed index of each text's last token
  at::Tensor padIndex;   // (T) int64 row of each token in a (B * Lmax) padded layout
  at::Tensor keyMask;    // (B, Lmax) bool, true = real token
  int64_t batchSize = 0;
  int64_t maxLength = 0;
  int64_t totalTokens = 0;
};

/** (T, ...) packed rows -> (B, Lmax, ...) padded rows, the padding filled with `fill`; differentiable. */
at::Tensor padTokens(const at::Tensor& packed, const PackedBatch& batch, double fill);

/** (B, Lmax, ...) padded rows -> (T, ...) packed rows, the padding dropped; differentiable. */
at::Tensor unpadTokens(const at::Tensor& padded, const PackedBatch& batch);

/** Validates the packing (offsets, lengths 1..maxPositions, ids in [0, vocabSize)) and moves it to the device. */
PackedBatch packBatch(const PackedTexts& texts, int64_t vocabSize, int64_t maxPositions, const at::Device& device);

}  // namespace embedforge
