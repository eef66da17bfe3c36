// AdamW update (see AdamW.h); moments are created lazily at a parameter's first step, as in torch.
#include "AdamW.h"

#include <ATen/core/grad_mode.h>
#include <c10/util/Exception.h>

#include <cmath>

namespace embedforge {

AdamW::AdamW(std::vector<std::tuple<std::string, at::Tensor, bool>> params, AdamWOptions options) : options_(options) {
  TORCH_CHECK(options.beta1 >= 0 && options.beta1 < 1, "AdamW: beta1 = ", options.beta1, " must be in [0, 1)");
  TORCH_CHECK(options.beta2 >= 0 && options.beta2 < 1, "AdamW: beta2 = ", options.beta2, " must be in [0, 1)");
  TORCH_CHECK(options.eps >= 0, "AdamW: eps = ", options.eps, " must be >= 0");
  TORCH_CHECK(options.weightDecay >= 0, "AdamW: weightDecay = ", options.weightDecay, " must be >= 0");
  for (auto& [name, param, decays] : params) slots_.push_back({name, param, decays, {}, {}, 0});
}

void AdamW::step(double lr) {
  TORCH_CHECK(std::isfinite(lr) && lr >= 0, "AdamW: learning rate ", lr, " must be a finite number >= 0");
  at::NoGradGuard noGrad;
  for (Slot& s : slots_) {
    const at::Tensor& grad = s.param.grad();
    if (!grad.defined()) continue;
    if (!s.expAvg.defined()) {
      s.expAvg = at::zeros_like(s.param, at::MemoryFormat::Preserve);
      s.expAvgSq = at::zeros_like(s.param, at::MemoryFormat::Preserve);
    }
    s.step += 1;
    if (s.decays && options_.weightDecay != 0) s.param.mul_(1 - lr * options_.weightDecay);
    s.expAvg.lerp_(grad, 1 - options_.beta1);
    s.expAvgSq.mul_(options_.beta2).addcmul_(grad, grad, 1 - options_.beta2);
    const double biasCorrection1 = 1 - std::pow(options_.beta1, static_cast<double>(s.step));
    const double biasCorrection2 = 1 - std::pow(options_.beta2, static_cast<double>(s.step));
    const double stepSize = lr / biasCorrection1;
    at::Tensor denom = (s.expAvgSq.sqrt() / std::sqrt(biasCorrection2)).add_(options_.eps);
    s.param.addcdiv_(s.expAvg, denom, -stepSize);
  }
}

TensorMap AdamW::state() const {
  TensorMap out;
  for (const Slot& s : slots_) {
    if (!s.expAvg.defined()) continue;
    out["optimizer.exp_avg." + s.name] = s.expAvg.to(at::kCPU);
    out["optimizer.exp_avg_sq." + s.name] = s.expAvgSq.to(at::kCPU);
    out["optimizer.step." + s.name] = at::full({}, s.step, at::kLong);
  }
  return out;
}

void AdamW::loadState(const TensorMap& state, const std::string& path) {
  std::vector<std::tuple<at::Tensor, at::Tensor, int64_t>> loaded(slots_.size());
  for (size_t i = 0; i < slots_.size(); ++i) {
    const Slot& s = slots_[i];
    auto avg = state.find("optimizer.exp_avg." + s.name);
    auto sq = state.find("optimizer.exp_avg_sq." + s.name);
    auto st = state.find("optimizer.step." + s.name);
    if (avg == state.end() && sq == state.end() && st == state.end()) continue;  // never stepped
    TORCH_CHECK(avg != state.end() && sq != state.end() && st != state.end(), path, ": incomplete optimizer state for ", s.name);
    TORCH_CHECK(avg->second.sizes() == s.param.sizes() && sq->second.sizes() == s.param.sizes(), path,
                ": optimizer state of ", s.name, " has shape ", avg->second.sizes(), " but the parameter has ", s.param.sizes());
    TORCH_CHECK(st->second.numel() == 1, path, ": optimizer.step.", s.name, " must be a scalar");
    loaded[i] = {avg->second.to(s.param.device(), at::kFloat), sq->second.to(s.param.device(), at::kFloat),
                 st->second.to(at::kLong).item<int64_t>()};
  }
  for (size_t i = 0; i < slots_.size(); ++i) {
    slots_[i].expAvg = std::get<0>(loaded[i]);
    slots_[i].expAvgSq = std::get<1>(loaded[i]);
    slots_[i].step = std::get<2>(loaded[i]);
  }
}

}  // namespace embedforge
