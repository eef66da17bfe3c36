// AdamW as torch.optim.AdamW (amsgrad off, maximize off), optim adamw_torch and adamw_torch_fused:
//   step += 1; p *= 1 - lr * wd (decay group only); m = lerp(m, g, 1 - beta1);
//   v = v * beta2 + (1 - beta2) g^2; p -= lr / (1 - beta1^step) * m / (sqrt(v) / sqrt(1 - beta2^step) + eps).
// fused: the same update through at::_fused_adamw_ (one kernel over all parameters of a group; LibTorch
// 2.11 has it for CPU and CUDA), as torch.optim.AdamW(fused=True) runs it.
// Buffers: exp_avg, exp_avg_sq (the parameter's shape), created at a parameter's first step as in torch.
#pragma once
#include "Optimizer.h"

namespace embedforge {

class AdamW : public Optimizer {
 public:
  AdamW(std::vector<OptimizedParameter> params, const OptimizerSpec& spec, bool fused);
  void step(double lr) override;

 protected:
  std::vector<BufferShape> buffersOf(const Slot& slot) const override;

 private:
  void stepFused(double lr);
  OptimizerSpec spec_;
  bool fused_;
};

/** The AdamW hyperparameter checks torch makes (shared by the 8-bit AdamW). */
void checkAdamWSpec(const char* optimizer, const OptimizerSpec& spec);

}  // namespace embedforge
