// SGD as torch.optim.SGD (optim sgd; maximize off), the HF Trainer's groups giving the weight decay:
//   d = g + wd * p;  with momentum mu: buf = d at the first step, else buf = mu * buf + (1 - dampening) d;
//   d = nesterov ? d + mu * buf : buf;  p -= lr * d.
// Buffers: momentum_buffer (only with momentum); no step count (torch's SGD keeps none).
#include <ATen/core/grad_mode.h>
#include <c10/util/Exception.h>

#include "Optimizer.h"

namespace embedforge {

namespace {

class SGD : public Optimizer {
 public:
  SGD(std::vector<OptimizedParameter> params, const OptimizerSpec& spec) : Optimizer(std::move(params), "sgd"), spec_(spec) {
    TORCH_CHECK(spec.momentum >= 0, "SGD: momentum = ", spec.momentum, " must be >= 0");
    TORCH_CHECK(spec.weightDecay >= 0, "SGD: weightDecay = ", spec.weightDecay, " must be >= 0");
    TORCH_CHECK(!spec.nesterov || (spec.momentum > 0 && spec.dampening == 0), "SGD: Nesterov momentum requires a momentum and zero dampening");
  }

  void step(double lr) override {
    checkLearningRate("SGD", lr);
    at::NoGradGuard noGrad;
    for (Slot& s : slots_) {
      at::Tensor& p = s.param.tensor;
      if (!p.grad().defined()) continue;
      at::Tensor d = p.grad();
      if (s.param.decays && spec_.weightDecay != 0) d = d.add(p, spec_.weightDecay);
      if (spec_.momentum != 0) {
        auto buf = s.buffers.find("momentum_buffer");
        if (buf == s.buffers.end()) {
          buf = s.buffers.emplace("momentum_buffer", d.detach().clone()).first;
        } else {
          buf->second.mul_(spec_.momentum).add_(d, 1 - spec_.dampening);
        }
        d = spec_.nesterov ? d.add(buf->second, spec_.momentum) : buf->second;
      }
      p.add_(d, -lr);
    }
  }

 protected:
  std::vector<BufferShape> buffersOf(const Slot& s) const override {
    if (spec_.momentum == 0) return {};
    return {{"momentum_buffer", s.param.tensor.sizes().vec(), at::kFloat}};
  }
  bool countsSteps() const override { return false; }

 private:
  OptimizerSpec spec_;
};

}  // namespace

std::unique_ptr<Optimizer> createSGD(std::vector<OptimizedParameter> params, const OptimizerSpec& spec) {
  return std::make_unique<SGD>(std::move(params), spec);
}

}  // namespace embedforge
