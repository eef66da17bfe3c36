// Padded SDPA with one additive mask = bias + key padding (BiasedAttention.h).
#include "BiasedAttention.h"

#include <ATen/autocast_mode.h>
#include <c10/util/Exception.h>

#include <limits>

namespace embedforge {

at::Tensor biasedAttentionMask(const at::Tensor& bias, const PackedBatch& batch) {
  const int64_t b = batch.batchSize, l = batch.maxLength;
  TORCH_CHECK(bias.dim() == 3 && bias.size(1) == l && bias.size(2) == l,
              "attention: bias must be (heads, Lmax, Lmax) with Lmax = ", l, ", got ", bias.sizes());
  // -inf on padded keys: exp gives exactly 0, as transformers' finfo.min does. Every query row keeps at
  // least its own text's first key, so no row is all -inf; padded query rows are dropped by unpadTokens.
  at::Tensor keyPadding = at::zeros({b, 1, 1, l}, bias.options().requires_grad(false))
                              .masked_fill_(batch.keyMask.logical_not().view({b, 1, 1, l}), -std::numeric_limits<float>::infinity());
  at::Tensor mask = bias.unsqueeze(0) + keyPadding;  // (B, heads, Lmax, Lmax)
  if (mask.is_cuda() && at::autocast::is_autocast_enabled(at::kCUDA)) {
    const at::ScalarType dtype = at::autocast::get_autocast_dtype(at::kCUDA);
    if (dtype == at::kBFloat16 || dtype == at::kHalf) mask = mask.to(dtype);
  }
  return mask;
}

at::Tensor biasedSelfAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& mask,
                               const PackedBatch& batch, double dropoutP, bool training) {
  TORCH_CHECK(q.dim() == 3 && q.sizes() == k.sizes() && q.sizes() == v.sizes(),
              "attention: q, k, v must share a (T, heads, headDim) shape, got ", q.sizes(), ", ", k.sizes(), ", ", v.sizes());
  TORCH_CHECK(q.size(0) == batch.totalTokens, "attention: q holds ", q.size(0), " tokens but the batch packs ",
              batch.totalTokens);
  const int64_t t = q.size(0), heads = q.size(1), headDim = q.size(2), l = batch.maxLength;
  TORCH_CHECK(mask.dim() == 4 && mask.size(0) == batch.batchSize && mask.size(1) == heads && mask.size(2) == l && mask.size(3) == l,
              "attention: mask must be (B, heads, Lmax, Lmax) = (", batch.batchSize, ", ", heads, ", ", l, ", ", l, "), got ", mask.sizes());
  auto pad = [&](const at::Tensor& x) { return padTokens(x, batch, 0.0).transpose(1, 2); };  // (B, heads, Lmax, headDim)
  // In training q, k, v require a gradient whenever the mask does (all come from trained parameters), which
  // keeps clear of pytorch/pytorch#148476 (the CUDA memory-efficient backward faulting when only the mask does).
  at::Tensor ctx = at::scaled_dot_product_attention(pad(q), pad(k), pad(v), mask, training ? dropoutP : 0.0, /*is_causal=*/false);
  return unpadTokens(ctx.transpose(1, 2), batch).reshape({t, heads * headDim});
}

}  // namespace embedforge
