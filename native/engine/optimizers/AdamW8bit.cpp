// AdamW with blockwise 8-bit moments (optim adamw_8bit), as bitsandbytes' AdamW(optim_bits=8) updates
// them, with our own quantisation in ATen:
//   m, v = dequantize(state1, absmax1, signed map), dequantize(state2, absmax2, unsigned map);
//   m = beta1 m + (1 - beta1) g; v = beta2 v + (1 - beta2) g^2; p *= 1 - lr * wd (decay group);
//   p -= lr / (1 - beta1^t) * m / (sqrt(v) / sqrt(1 - beta2^t) + eps)   (the update uses the fp32 m, v);
//   state, absmax = quantize(m), quantize(v): per block of kBlock values, absmax = max |x|, each value the
//   index of the nearest entry of the 256-value dynamic map (Dettmers' dynamic tree quantisation:
//   a decimal exponent 10^-6..10^0 and a linear fraction whose resolution grows with the exponent).
// kBlock is 256, the block bitsandbytes 0.50 uses in its 8-bit optimizers (its state holds one absmax per
// 256 values); the brief's 2048 is the block of its older releases.
// Kept in fp32 as bitsandbytes keeps them: parameters of fewer than 4096 values (min_8bit_size) and the
// embedding tables (the HF Trainer registers every nn.Embedding weight for 32-bit state); their update is
// bitsandbytes' 32-bit form, p += -lr sqrt(1 - beta2^t) / (1 - beta1^t) * m / (sqrt(v) + eps sqrt(1 - beta2^t)).
// Buffers: quantised: state1, state2 (U8, the parameter's shape), absmax1, absmax2 (F32, one per block);
// fp32: exp_avg, exp_avg_sq. Moments start at zero at a parameter's first step.
#include <ATen/core/grad_mode.h>
#include <c10/util/Exception.h>

#include <cmath>

#include "AdamW.h"
#include "Optimizer.h"

namespace embedforge {

namespace {

constexpr int64_t kBlock = 256;
constexpr int64_t kMin8bitSize = 4096;

/** The dynamic map (256 sorted values in [-1, 1], or [0, 1] unsigned), 7 exponent levels of 8 bits. */
at::Tensor dynamicMap(bool isSigned) {
  std::vector<at::Tensor> parts;
  constexpr int kExponents = 7;
  for (int i = 0; i < kExponents; ++i) {
    // Level i: 2^i fraction values (2^(i+1) unsigned, which has no sign bit to spend), the midpoints of a
    // float32 linspace(0.1, 1) scaled by 10^(i - 6) in float32, as bitsandbytes' create_dynamic_map builds them.
    const int64_t items = isSigned ? (int64_t{1} << i) + 1 : (int64_t{1} << (i + 1)) + 1;
    const at::Tensor bounds = at::linspace(0.1, 1.0, items, at::kFloat);
    const at::Tensor means = (bounds.slice(0, 0, items - 1) + bounds.slice(0, 1, items)) / 2.0;
    const at::Tensor scaled = means * std::pow(10.0, i - (kExponents - 1));
    parts.push_back(scaled);
    if (isSigned) parts.push_back(-scaled);
  }
  parts.push_back(at::zeros({1}, at::kFloat));
  parts.push_back(at::ones({1}, at::kFloat));
  at::Tensor map = std::get<0>(at::sort(at::cat(parts)));
  TORCH_CHECK(map.numel() == 256, "dynamic map has ", map.numel(), " values, not 256");
  return map;
}

struct Quantiser {
  at::Tensor map;        // (256,) sorted
  at::Tensor midpoints;  // (255,) between neighbours: the nearest entry is the bucket
  explicit Quantiser(bool isSigned) : map(dynamicMap(isSigned)) { midpoints = (map.slice(0, 0, 255) + map.slice(0, 1, 256)) / 2; }

  /** x (any shape, fp32) -> (U8 codes of x's shape, F32 absmax per block). */
  std::pair<at::Tensor, at::Tensor> quantize(const at::Tensor& x) const {
    const int64_t n = x.numel(), blocks = (n + kBlock - 1) / kBlock;
    at::Tensor flat = at::constant_pad_nd(x.reshape({-1}), {0, blocks * kBlock - n}).view({blocks, kBlock});
    at::Tensor absmax = std::get<0>(flat.abs().max(1));
    // An all-zero block has absmax 0: its values normalise to 0 (the map's exact zero).
    at::Tensor normalised = flat / at::where(absmax > 0, absmax, at::ones_like(absmax)).unsqueeze(1);
    at::Tensor codes = at::bucketize(normalised, midpoints.to(x.device())).to(at::kByte);
    return {codes.reshape({-1}).slice(0, 0, n).view(x.sizes()).clone(), absmax};
  }

  at::Tensor dequantize(const at::Tensor& codes, const at::Tensor& absmax) const {
    const int64_t n = codes.numel(), blocks = absmax.numel();
    at::Tensor values = map.to(codes.device()).index_select(0, codes.reshape({-1}).to(at::kLong));
    values = at::constant_pad_nd(values, {0, blocks * kBlock - n}).view({blocks, kBlock}) * absmax.unsqueeze(1);
    return values.reshape({-1}).slice(0, 0, n).view(codes.sizes());
  }
};

bool isEmbeddingTable(const std::string& name) {
  auto endsWith = [&](const std::string& tail) { return name.size() >= tail.size() && name.compare(name.size() - tail.size(), tail.size(), tail) == 0; };
  // word/position/token_type_embeddings (BERT, RoBERTa, MPNet), tok_embeddings (ModernBERT), MPNet's relative_attention_bias.
  return endsWith("embeddings.weight") || endsWith("relative_attention_bias.weight");
}

class AdamW8bit : public Optimizer {
 public:
  AdamW8bit(std::vector<OptimizedParameter> params, const OptimizerSpec& spec)
      : Optimizer(std::move(params), "adamw_8bit"), spec_(spec), signed_(true), unsigned_(false) {
    checkAdamWSpec("AdamW 8-bit", spec);
  }

  void step(double lr) override {
    checkLearningRate("AdamW 8-bit", lr);
    at::NoGradGuard noGrad;
    for (Slot& s : slots_) {
      at::Tensor& p = s.param.tensor;
      if (!p.grad().defined()) continue;
      const at::Tensor g = p.grad().to(at::kFloat);
      s.step += 1;
      const double wd = s.param.decays ? spec_.weightDecay : 0.0;
      const double c1 = 1 - std::pow(spec_.beta1, static_cast<double>(s.step));
      const double c2 = std::sqrt(1 - std::pow(spec_.beta2, static_cast<double>(s.step)));
      if (!quantised(s)) {
        if (s.buffers.empty()) {
          s.buffers["exp_avg"] = at::zeros_like(p, at::MemoryFormat::Contiguous);
          s.buffers["exp_avg_sq"] = at::zeros_like(p, at::MemoryFormat::Contiguous);
        }
        at::Tensor& m = s.buffers["exp_avg"];
        at::Tensor& v = s.buffers["exp_avg_sq"];
        m.mul_(spec_.beta1).add_(g, 1 - spec_.beta1);
        v.mul_(spec_.beta2).addcmul_(g, g, 1 - spec_.beta2);
        if (wd > 0) p.mul_(1 - lr * wd);
        p.add_(m / (v.sqrt() + spec_.eps * c2), -lr * c2 / c1);
        continue;
      }
      at::Tensor m, v;
      if (s.buffers.empty()) {
        m = at::zeros_like(g, at::MemoryFormat::Contiguous);
        v = at::zeros_like(g, at::MemoryFormat::Contiguous);
      } else {
        m = signed_.dequantize(s.buffers["state1"], s.buffers["absmax1"]);
        v = unsigned_.dequantize(s.buffers["state2"], s.buffers["absmax2"]);
      }
      m.mul_(spec_.beta1).add_(g, 1 - spec_.beta1);
      v.mul_(spec_.beta2).addcmul_(g, g, 1 - spec_.beta2);
      if (wd > 0) p.mul_(1 - lr * wd);
      p.addcdiv_(m, (v.sqrt() / c2).add_(spec_.eps), -lr / c1);
      std::tie(s.buffers["state1"], s.buffers["absmax1"]) = signed_.quantize(m);
      std::tie(s.buffers["state2"], s.buffers["absmax2"]) = unsigned_.quantize(v);
    }
  }

 protected:
  std::vector<BufferShape> buffersOf(const Slot& s) const override {
    const std::vector<int64_t> sizes = s.param.tensor.sizes().vec();
    if (!quantised(s)) return {{"exp_avg", sizes, at::kFloat}, {"exp_avg_sq", sizes, at::kFloat}};
    const int64_t blocks = (s.param.tensor.numel() + kBlock - 1) / kBlock;
    return {{"state1", sizes, at::kByte}, {"absmax1", {blocks}, at::kFloat}, {"state2", sizes, at::kByte}, {"absmax2", {blocks}, at::kFloat}};
  }

 private:
  static bool quantised(const Slot& s) { return s.param.tensor.numel() >= kMin8bitSize && !isEmbeddingTable(s.param.name); }

  OptimizerSpec spec_;
  Quantiser signed_, unsigned_;
};

}  // namespace

std::unique_ptr<Optimizer> createAdamW8bit(std::vector<OptimizedParameter> params, const OptimizerSpec& spec) {
  return std::make_unique<AdamW8bit>(std::move(params), spec);
}

/** For the quantisation test: the map, and a quantize/dequantize round trip. */
at::Tensor adamw8bitDynamicMap(bool isSigned) { return dynamicMap(isSigned); }

}  // namespace embedforge
