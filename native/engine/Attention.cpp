// The path is chosen per call from the tensors and the thread's autocast state, so encode and
// train steps in fp32 never reach the flash kernel, and bf16/fp16 CUDA steps never pad.
#include "Attention.h"

#include <ATen/autocast_mode.h>
#include <c10/util/Exception.h>

#include <optional>
#include <tuple>

namespace embedforge {

namespace {

// The half-precision dtype autocast computes in on this tensor's device, when it runs in one.
std::optional<at::ScalarType> halfAutocastDtype(const at::Tensor& x) {
  if (!x.is_cuda() || !at::autocast::is_autocast_enabled(at::kCUDA)) return std::nullopt;
  const at::ScalarType dtype = at::autocast::get_autocast_dtype(at::kCUDA);
  if (dtype != at::kBFloat16 && dtype != at::kHalf) return std::nullopt;
  return dtype;
}

// The flash kernel takes head sizes that are multiples of 8, up to 256 (BERT-family models use 32..128).
bool flashTakesHeadDim(int64_t headDim) { return headDim % 8 == 0 && headDim <= 256; }

// q, k, v: (T, heads, headDim) in dtype; cuSeqlens (B + 1) int32 on the same device.
at::Tensor flashAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const PackedBatch& batch,
                          double dropoutP, at::ScalarType dtype) {
  auto result = at::_flash_attention_forward(q.to(dtype).contiguous(), k.to(dtype).contiguous(), v.to(dtype).contiguous(),
                                             batch.cuSeqlens, batch.cuSeqlens, batch.maxLength, batch.maxLength, dropoutP,
                                             /*is_causal=*/false, /*return_debug_mask=*/false);
  return std::get<0>(result);  // (T, heads, headDim)
}

// Scatter (T, heads, headDim) -> (B, heads, Lmax, headDim), padded rows zero; SDPA; gather back.
at::Tensor paddedAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const PackedBatch& batch,
                           double dropoutP) {
  auto pad = [&](const at::Tensor& x) { return padTokens(x, batch, 0.0).transpose(1, 2); };
  at::Tensor mask = batch.keyMask.view({batch.batchSize, 1, 1, batch.maxLength});
  at::Tensor ctx = at::scaled_dot_product_attention(pad(q), pad(k), pad(v), mask, dropoutP, /*is_causal=*/false);
  return unpadTokens(ctx.transpose(1, 2), batch);  // (T, heads, headDim)
}

}  // namespace

at::Tensor varlenSelfAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const PackedBatch& batch,
                               double dropoutP, bool training) {
  TORCH_CHECK(q.dim() == 3 && q.sizes() == k.sizes() && q.sizes() == v.sizes(),
              "attention: q, k, v must share a (T, heads, headDim) shape, got ", q.sizes(), ", ", k.sizes(), ", ", v.sizes());
  TORCH_CHECK(q.size(0) == batch.totalTokens, "attention: q holds ", q.size(0), " tokens but the batch packs ",
              batch.totalTokens);
  const int64_t t = q.size(0), heads = q.size(1), headDim = q.size(2);
  const double p = training ? dropoutP : 0.0;
  const auto dtype = halfAutocastDtype(q);
  at::Tensor ctx = dtype && flashTakesHeadDim(headDim) ? flashAttention(q, k, v, batch, p, *dtype)
                                                       : paddedAttention(q, k, v, batch, p);
  return ctx.reshape({t, heads * headDim});
}

}  // namespace embedforge
