// safetensors I/O. File layout: u64 little-endian header length N, N bytes of JSON header
// {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {...}}, then the data
// section; offsets are relative to the data section. On read, floating tensors (F32/F16/BF16/F64)
// become fp32 CPU tensors; I64, I32 and U8 keep their type (position_ids, step counts, RNG states).
// On write, floating tensors are written as F32, names sorted, the header padded with spaces to a
// multiple of 8 bytes.
#pragma once
#include <ATen/ATen.h>

#include <map>
#include <string>

namespace embedforge {

using TensorMap = std::map<std::string, at::Tensor>;

/**
 * Every tensor of the file, on the CPU. Throws naming the file (and tensor) on any inconsistency, with the
 * safetensors crate's rules: header at most 100 MB, UTF-8 JSON, __metadata__ a map of strings, and the
 * tensors, ordered by offset, tiling the data section exactly (from 0, no overlap, no gap, no trailing bytes).
 */
TensorMap readSafetensors(const std::string& path);

/** Writes the tensors (moved to the CPU) to path; throws on an unsupported dtype or I/O failure. */
void writeSafetensors(const std::string& path, const TensorMap& tensors);

}  // namespace embedforge
