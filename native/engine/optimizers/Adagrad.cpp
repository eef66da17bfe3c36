// Adagrad as torch.optim.Adagrad (optim adagrad; initial_accumulator_value 0, maximize off):
//   step += 1; d = g + wd * p; clr = lr / (1 + (step - 1) * lr_decay); sum += d^2; p -= clr * d / (sqrt(sum) + eps).
// Buffers: sum, made (zero) for every parameter at construction as torch makes it; step.
#include <ATen/core/grad_mode.h>
#include <c10/util/Exception.h>

#include "Optimizer.h"

namespace embedforge {

namespace {

class Adagrad : public Optimizer {
 public:
  Adagrad(std::vector<OptimizedParameter> params, const OptimizerSpec& spec) : Optimizer(std::move(params), "adagrad"), spec_(spec) {
    TORCH_CHECK(spec.lrDecay >= 0, "Adagrad: lr_decay = ", spec.lrDecay, " must be >= 0");
    TORCH_CHECK(spec.weightDecay >= 0, "Adagrad: weightDecay = ", spec.weightDecay, " must be >= 0");
    TORCH_CHECK(spec.eps >= 0, "Adagrad: eps = ", spec.eps, " must be >= 0");
    for (Slot& s : slots_) resetSlot(s);
  }

  void step(double lr) override {
    checkLearningRate("Adagrad", lr);
    at::NoGradGuard noGrad;
    for (Slot& s : slots_) {
      at::Tensor& p = s.param.tensor;
      if (!p.grad().defined()) continue;
      at::Tensor d = p.grad();
      s.step += 1;
      if (s.param.decays && spec_.weightDecay != 0) d = d.add(p, spec_.weightDecay);
      const double clr = lr / (1 + static_cast<double>(s.step - 1) * spec_.lrDecay);
      at::Tensor& sum = s.buffers.at("sum");
      sum.addcmul_(d, d, 1);
      p.addcdiv_(d, sum.sqrt().add_(spec_.eps), -clr);
    }
  }

 protected:
  std::vector<BufferShape> buffersOf(const Slot& s) const override { return {{"sum", s.param.tensor.sizes().vec(), at::kFloat}}; }
  void resetSlot(Slot& s) const override {
    s.buffers = {{"sum", at::zeros_like(s.param.tensor, at::MemoryFormat::Preserve)}};
    s.step = 0;
  }

 private:
  OptimizerSpec spec_;
};

}  // namespace

std::unique_ptr<Optimizer> createAdagrad(std::vector<OptimizedParameter> params, const OptimizerSpec& spec) {
  return std::make_unique<Adagrad>(std::move(params), spec);
}

}  // namespace embedforge
