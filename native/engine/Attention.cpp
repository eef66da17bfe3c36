// The path is chosen per call from the tensors and the thread's autocast state, so encode and
// train steps in fp32 never reach the flash kernel, and bf16/fp16 CUDA steps never pad.
#include "Attention.h"

#include <ATen/autocast_mode.h>
#include <c10/util/Exception.h>

#include <algorithm>
#include <numeric>
#include <optional>
#include <utility>
#include <vector>
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
// Without a mask (noMask: every text is Lmax long) SDPA skips adding one to the scores.
at::Tensor paddedAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const PackedBatch& batch,
                           double dropoutP, std::optional<int64_t> window, bool noMask = false) {
  auto pad = [&](const at::Tensor& x) { return padTokens(x, batch, 0.0).transpose(1, 2); };
  std::optional<at::Tensor> mask;
  if (!noMask) mask = window ? bandMask(batch, *window) : batch.keyMask.view({batch.batchSize, 1, 1, batch.maxLength});
  at::Tensor ctx = at::scaled_dot_product_attention(pad(q), pad(k), pad(v), mask, dropoutP, /*is_causal=*/false);
  return unpadTokens(ctx.transpose(1, 2), batch);  // (T, heads, headDim)
}

// Texts of one length group: their packed token rows and the padded layout they share.
struct LengthGroup {
  at::Tensor tokens;   // (T_g) int64 rows of q/k/v, the group's texts in order
  PackedBatch layout;  // padIndex (T_g), keyMask (n_g, L_g), batchSize n_g, maxLength L_g
  bool uniform;        // every text of the group has length L_g: no key padding to mask
};

// Padded attention costs n_g * L_g * (L_g + headDim) per group (scores, softmax, dropout, products) plus a
// fixed cost per SDPA call, in the same units (about one 45-token text).
constexpr int64_t kGroupOverhead = 2048;

// Texts sorted by length, cut into the contiguous runs that minimise the padded cost (an exact O(B^2)
// dynamic programme). One padded (B, Lmax) block over a training batch pads its short anchors to its
// longest passage; the groups pad each text only to its neighbours' length.
std::vector<LengthGroup> lengthGroups(const PackedBatch& batch, int64_t headDim) {
  const at::Tensor cuHost = batch.cuSeqlens.to(at::kCPU, at::kLong).contiguous();
  const int64_t* cu = cuHost.data_ptr<int64_t>();
  const int64_t n = batch.batchSize;
  std::vector<int64_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  auto len = [&](int64_t text) { return cu[text + 1] - cu[text]; };
  std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) { return len(a) < len(b); });
  std::vector<int64_t> best(n + 1, 0), cut(n + 1, 0);
  for (int64_t end = 1; end <= n; ++end) {
    const int64_t l = len(order[end - 1]);
    best[end] = -1;
    for (int64_t start = 0; start < end; ++start) {
      const int64_t cost = best[start] + (end - start) * l * (l + headDim) + kGroupOverhead;
      if (best[end] < 0 || cost < best[end]) best[end] = cost, cut[end] = start;
    }
  }
  std::vector<std::pair<int64_t, int64_t>> runs;
  for (int64_t end = n; end > 0; end = cut[end]) runs.emplace_back(cut[end], end);
  std::reverse(runs.begin(), runs.end());
  const auto longOpts = at::TensorOptions().dtype(at::kLong);
  std::vector<LengthGroup> groups;
  for (const auto& [start, end] : runs) {
    const int64_t maxLen = len(order[end - 1]);
    int64_t tokensInGroup = 0;
    for (int64_t i = start; i < end; ++i) tokensInGroup += len(order[i]);
    at::Tensor tokens = at::empty({tokensInGroup}, longOpts), slots = at::empty({tokensInGroup}, longOpts);
    at::Tensor lengths = at::empty({end - start}, longOpts);
    int64_t* tok = tokens.data_ptr<int64_t>();
    int64_t* slot = slots.data_ptr<int64_t>();
    for (int64_t i = start; i < end; ++i) {
      const int64_t text = order[i], row = i - start;
      lengths.data_ptr<int64_t>()[row] = len(text);
      for (int64_t j = 0; j < len(text); ++j) *tok++ = cu[text] + j, *slot++ = row * maxLen + j;
    }
    LengthGroup g;
    g.uniform = len(order[start]) == maxLen;
    g.tokens = tokens.to(batch.padIndex.device());
    g.layout.padIndex = slots.to(batch.padIndex.device());
    g.layout.keyMask = (at::arange(maxLen, longOpts).unsqueeze(0) < lengths.unsqueeze(1)).to(batch.keyMask.device());
    g.layout.batchSize = end - start;
    g.layout.maxLength = maxLen;
    g.layout.totalTokens = tokensInGroup;
    groups.push_back(std::move(g));
  }
  return groups;
}

// paddedAttention per length group; the groups' outputs go back to the packed token order.
at::Tensor groupedPaddedAttention(const at::Tensor& q, const at::Tensor& k, const at::Tensor& v, const PackedBatch& batch,
                                  double dropoutP, std::optional<int64_t> window) {
  const std::vector<LengthGroup> groups = lengthGroups(batch, q.size(2));
  if (groups.size() == 1) return paddedAttention(q, k, v, batch, dropoutP, window);
  std::vector<at::Tensor> outputs, tokens;
  for (const LengthGroup& g : groups) {
    auto pick = [&](const at::Tensor& x) { return x.index_select(0, g.tokens); };
    outputs.push_back(paddedAttention(pick(q), pick(k), pick(v), g.layout, dropoutP, window, g.uniform && !window));
    tokens.push_back(g.tokens);
  }
  // where[t] = the row of packed token t in the concatenated outputs.
  const at::Tensor grouped = at::cat(tokens);
  const at::Tensor where = at::empty_like(grouped).index_copy_(0, grouped, at::arange(grouped.size(0), grouped.options()));
  return at::cat(outputs).index_select(0, where);
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
                : q.is_cpu() ? groupedPaddedAttention(q, k, v, batch, p, window)
                             : paddedAttention(q, k, v, batch, p, window);
  return ctx.reshape({t, heads * headDim});
}

}  // namespace embedforge
