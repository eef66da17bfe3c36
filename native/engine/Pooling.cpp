// cls and lasttoken pick rows of the packed tokens; mean and max reduce each text's rows.
#include "Pooling.h"

#include <c10/util/Exception.h>

#include <limits>

namespace embedforge {

PoolingMode poolingModeFromName(const std::string& name) {
  if (name == "cls") return PoolingMode::Cls;
  if (name == "mean") return PoolingMode::Mean;
  if (name == "max") return PoolingMode::Max;
  if (name == "lasttoken") return PoolingMode::LastToken;
  TORCH_CHECK(false, "unsupported pooling mode \"", name, "\" (supported: cls, mean, max, lasttoken)");
}

at::Tensor pool(const at::Tensor& tokens, const PackedBatch& batch, PoolingMode mode) {
  TORCH_CHECK(tokens.dim() == 2 && tokens.size(0) == batch.totalTokens, "pooling: tokens must be (T, H) with T = ",
              batch.totalTokens, ", got ", tokens.sizes());
  switch (mode) {
    case PoolingMode::Cls:
      return tokens.index_select(0, batch.first);
    case PoolingMode::LastToken:
      return tokens.index_select(0, batch.last);
    case PoolingMode::Mean:
      // Summed over the padded (B, Lmax, H) layout with zero padding, as sentence-transformers sums, so
      // the fp32 rounding (and the gradients of ill-conditioned losses) follow it closely.
      return padTokens(tokens, batch, 0.0).sum(1) / batch.lengths.to(tokens.scalar_type()).unsqueeze(1);
    case PoolingMode::Max:
      return padTokens(tokens, batch, -std::numeric_limits<double>::infinity()).amax(1);
  }
  TORCH_CHECK(false, "internal: unknown pooling mode");
}

at::Tensor normalizeRows(const at::Tensor& x) {
  return x / at::clamp_min(x.norm(2, {1}, /*keepdim=*/true), 1e-12).expand_as(x);
}

}  // namespace embedforge
