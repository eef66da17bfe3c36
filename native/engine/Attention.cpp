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
// A window w passes as window_size_left = window_size_right = w (keys i - w .. i + w, inclusive), which the
// kernel's backward receives too; no window leaves both unset (the whole text).
at::Tensor flashAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const PackedBatch& batch,
                          double dropoutP, at::ScalarType dtype, std::optional<int64_t> window) {
  auto result = at::_flash_attention_forward(q.to(dtype).contiguous(), k.to(dtype).contiguous(), v.to(dtype).contiguous(),
                                             batch.cuSeqlens, batch.cuSeqlens, batch.maxLength, batch.maxLength, dropoutP,
                                             /*is_causal=*/false, /*return_debug_mask=*/false, /*scale=*/std::nullopt,
                                             /*window_size_left=*/window, /*window_size_right=*/window);
  return std::get<0>(result);  // (T, heads, headDim)
}

// (B, 1, Lmax, Lmax) bool: key j is real and |i - j| <= w. A padding query row (i >= the text's length) keeps
// every real key: with the band alone it could see none, and SDPA turns a row with no key into NaN, which its
// backward would carry into the real keys' gradients; those rows are dropped after attention anyway.
// B * Lmax^2 bools, a fraction of the (B, heads, Lmax, Lmax) scores the padded path computes anyway.
at::Tensor bandMask(const PackedBatch& batch, int64_t window) {
  const at::Tensor pos = at::arange(batch.maxLength, batch.keyMask.options().dtype(at::kLong));
  const at::Tensor band = (pos.view({-1, 1}) - pos.view({1, -1})).abs() <= window;  // (Lmax, Lmax)
  const at::Tensor paddingQuery = batch.keyMask.logical_not().view({batch.batchSize, 1, batch.maxLength, 1});
  return batch.keyMask.view({batch.batchSize, 1, 1, batch.maxLength}).logical_and(band.logical_or(paddingQuery));
}

// Scatter (T, heads, headDim) -> (B, heads, Lmax, headDim), padded rows zero; SDPA; gather back.
at::Tensor paddedAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const PackedBatch& batch,
                           double dropoutP, std::optional<int64_t> window) {
  auto pad = [&](const at::Tensor& x) { return padTokens(x, batch, 0.0).transpose(1, 2); };
  at::Tensor mask = window ? bandMask(batch, *window) : batch.keyMask.view({batch.batchSize, 1, 1, batch.maxLength});
  at::Tensor ctx = at::scaled_dot_product_attention(pad(q), pad(k), pad(v), mask, dropoutP, /*is_causal=*/false);
  return unpadTokens(ctx.transpose(1, 2), batch);  // (T, heads, headDim)
}

}  // namespace

at::Tensor varlenSelfAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const PackedBatch& batch,
                               double dropoutP, bool training, std::optional<int64_t> window) {
  TORCH_CHECK(q.dim() == 3 && q.sizes() == k.sizes() && q.sizes() == v.sizes(),
              "attention: q, k, v must share a (T, heads, headDim) shape, got ", q.sizes(), ", ", k.sizes(), ", ", v.sizes());
  TORCH_CHECK(q.size(0) == batch.totalTokens, "attention: q holds ", q.size(0), " tokens but the batch packs ",
              batch.totalTokens);
  const int64_t t = q.size(0), heads = q.size(1), headDim = q.size(2);
  const double p = training ? dropoutP : 0.0;
  const auto dtype = halfAutocastDtype(q);
  TORCH_CHECK(!window || *window >= 0, "attention: window ", window.value_or(0), " must be >= 0");
  at::Tensor ctx = dtype && flashTakesHeadDim(headDim) ? flashAttention(q, k, v, batch, p, *dtype, window)
                                                       : paddedAttention(q, k, v, batch, p, window);
  return ctx.reshape({t, heads * headDim});
}

}  // namespace embedforge
