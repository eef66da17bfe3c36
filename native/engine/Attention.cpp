// Padded attention through at::scaled_dot_product_attention with a boolean key-padding mask,
// which lets ATen pick its fused kernels (flash / memory-efficient on CUDA, flash on CPU).
#include "Attention.h"

namespace embedforge {

at::Tensor selfAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const at::Tensor& keyMask,
                         int64_t numHeads, double dropoutP) {
  TORCH_CHECK(q.dim() == 3 && q.sizes() == k.sizes() && q.sizes() == v.sizes(), "attention: q, k, v must share a (B, L, H) shape, got ",
              q.sizes(), ", ", k.sizes(), ", ", v.sizes());
  const int64_t b = q.size(0), l = q.size(1), h = q.size(2);
  TORCH_CHECK(keyMask.sizes() == at::IntArrayRef({b, l}), "attention: mask must be (", b, ", ", l, "), got ", keyMask.sizes());
  const int64_t headDim = h / numHeads;
  auto split = [&](const at::Tensor& x) { return x.view({b, l, numHeads, headDim}).transpose(1, 2); };
  at::Tensor mask = keyMask.view({b, 1, 1, l});
  at::Tensor ctx = at::scaled_dot_product_attention(split(q), split(k), split(v), mask, dropoutP, /*is_causal=*/false);
  return ctx.transpose(1, 2).reshape({b, l, h});
}

}  // namespace embedforge
