// AdamW update (see AdamW.h).
#include "AdamW.h"

#include <ATen/core/grad_mode.h>
#include <c10/util/Exception.h>

#include <cmath>
#include <map>
#include <tuple>

namespace embedforge {

void checkAdamWSpec(const char* optimizer, const OptimizerSpec& spec) {
  TORCH_CHECK(spec.beta1 >= 0 && spec.beta1 < 1, optimizer, ": beta1 = ", spec.beta1, " must be in [0, 1)");
  TORCH_CHECK(spec.beta2 >= 0 && spec.beta2 < 1, optimizer, ": beta2 = ", spec.beta2, " must be in [0, 1)");
  TORCH_CHECK(spec.eps >= 0, optimizer, ": eps = ", spec.eps, " must be >= 0");
  TORCH_CHECK(spec.weightDecay >= 0, optimizer, ": weightDecay = ", spec.weightDecay, " must be >= 0");
}

AdamW::AdamW(std::vector<OptimizedParameter> params, const OptimizerSpec& spec, bool fused)
    : Optimizer(std::move(params), "adamw"), spec_(spec), fused_(fused) {
  checkAdamWSpec("AdamW", spec);
}

std::vector<Optimizer::BufferShape> AdamW::buffersOf(const Slot& s) const {
  const std::vector<int64_t> sizes = s.param.tensor.sizes().vec();
  return {{"exp_avg", sizes, at::kFloat}, {"exp_avg_sq", sizes, at::kFloat}};
}

void AdamW::step(double lr) {
  checkLearningRate("AdamW", lr);
  if (fused_) return stepFused(lr);
  at::NoGradGuard noGrad;
  for (Slot& s : slots_) {
    at::Tensor& p = s.param.tensor;
    const at::Tensor& grad = p.grad();
    if (!grad.defined()) continue;
    if (s.buffers.empty()) {
      s.buffers["exp_avg"] = at::zeros_like(p, at::MemoryFormat::Preserve);
      s.buffers["exp_avg_sq"] = at::zeros_like(p, at::MemoryFormat::Preserve);
    }
    at::Tensor& expAvg = s.buffers["exp_avg"];
    at::Tensor& expAvgSq = s.buffers["exp_avg_sq"];
    s.step += 1;
    if (s.param.decays && spec_.weightDecay != 0) p.mul_(1 - lr * spec_.weightDecay);
    expAvg.lerp_(grad, 1 - spec_.beta1);
    expAvgSq.mul_(spec_.beta2).addcmul_(grad, grad, 1 - spec_.beta2);
    const double biasCorrection1 = 1 - std::pow(spec_.beta1, static_cast<double>(s.step));
    const double biasCorrection2 = 1 - std::pow(spec_.beta2, static_cast<double>(s.step));
    at::Tensor denom = (expAvgSq.sqrt() / std::sqrt(biasCorrection2)).add_(spec_.eps);
    p.addcdiv_(expAvg, denom, -lr / biasCorrection1);
  }
}

void AdamW::stepFused(double lr) {
  at::NoGradGuard noGrad;
  // One kernel call per (weight-decay group, device, dtype), as torch groups tensors for the fused kernel.
  struct Group {
    std::vector<at::Tensor> params, grads, expAvgs, expAvgSqs, steps;
  };
  std::map<std::tuple<bool, std::string, int>, Group> groups;
  for (Slot& s : slots_) {
    at::Tensor& p = s.param.tensor;
    const at::Tensor& grad = p.grad();
    if (!grad.defined()) continue;
    if (s.buffers.empty()) {
      s.buffers["exp_avg"] = at::zeros_like(p, at::MemoryFormat::Preserve);
      s.buffers["exp_avg_sq"] = at::zeros_like(p, at::MemoryFormat::Preserve);
    }
    s.step += 1;
    Group& g = groups[{s.param.decays, p.device().str(), static_cast<int>(p.scalar_type())}];
    g.params.push_back(p);
    g.grads.push_back(grad);
    g.expAvgs.push_back(s.buffers["exp_avg"]);
    g.expAvgSqs.push_back(s.buffers["exp_avg_sq"]);
    // The kernel reads the step (already incremented, as torch increments before the call) as a float tensor.
    g.steps.push_back(at::full({}, static_cast<double>(s.step), at::TensorOptions().dtype(at::kFloat).device(p.device())));
  }
  for (auto& [key, g] : groups) {
    const double weightDecay = std::get<0>(key) ? spec_.weightDecay : 0.0;
    at::_fused_adamw_(g.params, g.grads, g.expAvgs, g.expAvgSqs, {}, g.steps, lr, spec_.beta1, spec_.beta2, weightDecay, spec_.eps,
                      /*amsgrad=*/false, /*maximize=*/false);
  }
}

}  // namespace embedforge
