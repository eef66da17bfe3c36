// Pooling modes written to match sentence-transformers' Pooling._forward_padded op for op.
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

at::Tensor pool(const at::Tensor& tokens, const at::Tensor& mask, const at::Tensor& lengths, PoolingMode mode) {
  TORCH_CHECK(tokens.dim() == 3 && mask.dim() == 2 && tokens.size(0) == mask.size(0) && tokens.size(1) == mask.size(1),
              "pooling: tokens (B, L, H) and mask (B, L) disagree: ", tokens.sizes(), " vs ", mask.sizes());
  switch (mode) {
    case PoolingMode::Cls:
      return tokens.select(1, 0);
    case PoolingMode::Mean: {
      at::Tensor m = mask.unsqueeze(-1).to(tokens.scalar_type());
      at::Tensor sum = (tokens * m).sum(1);
      at::Tensor count = at::clamp_min(m.sum(1), 1e-9);
      return sum / count;
    }
    case PoolingMode::Max:
      return tokens.masked_fill(mask.unsqueeze(-1).logical_not(), -std::numeric_limits<float>::infinity()).amax(1);
    case PoolingMode::LastToken: {
      at::Tensor index = (lengths - 1).view({-1, 1, 1}).expand({tokens.size(0), 1, tokens.size(2)});
      return tokens.gather(1, index).squeeze(1);
    }
  }
  TORCH_CHECK(false, "internal: unknown pooling mode");
}

at::Tensor normalizeRows(const at::Tensor& x) {
  return x / at::clamp_min(x.norm(2, {1}, /*keepdim=*/true), 1e-12).expand_as(x);
}

}  // namespace embedforge
