// RMSprop as torch.optim.RMSprop (optim rmsprop; maximize off):
//   step += 1; d = g + wd * p; sq = alpha * sq + (1 - alpha) d^2;
//   centered: ga = lerp(ga, d, 1 - alpha), avg = sqrt(sq - ga^2) + eps; else avg = sqrt(sq) + eps;
//   momentum mu > 0: buf = mu * buf + d / avg, p -= lr * buf; else p -= lr * d / avg.
// Buffers: square_avg, momentum_buffer (mu > 0), grad_avg (centered), created at the first step; step.
#include <ATen/core/grad_mode.h>
#include <c10/util/Exception.h>

#include "Optimizer.h"

namespace embedforge {

namespace {

class RMSprop : public Optimizer {
 public:
  RMSprop(std::vector<OptimizedParameter> params, const OptimizerSpec& spec) : Optimizer(std::move(params), "rmsprop"), spec_(spec) {
    TORCH_CHECK(spec.eps >= 0, "RMSprop: eps = ", spec.eps, " must be >= 0");
    TORCH_CHECK(spec.momentum >= 0, "RMSprop: momentum = ", spec.momentum, " must be >= 0");
    TORCH_CHECK(spec.weightDecay >= 0, "RMSprop: weightDecay = ", spec.weightDecay, " must be >= 0");
    TORCH_CHECK(spec.alpha >= 0, "RMSprop: alpha = ", spec.alpha, " must be >= 0");
  }

  void step(double lr) override {
    checkLearningRate("RMSprop", lr);
    at::NoGradGuard noGrad;
    for (Slot& s : slots_) {
      at::Tensor& p = s.param.tensor;
      if (!p.grad().defined()) continue;
      if (s.buffers.empty()) {
        for (const auto& b : buffersOf(s)) s.buffers[b.name] = at::zeros_like(p, at::MemoryFormat::Preserve);
      }
      s.step += 1;
      at::Tensor d = p.grad();
      if (s.param.decays && spec_.weightDecay != 0) d = d.add(p, spec_.weightDecay);
      at::Tensor& squareAvg = s.buffers.at("square_avg");
      squareAvg.mul_(spec_.alpha).addcmul_(d, d, 1 - spec_.alpha);
      at::Tensor avg;
      if (spec_.centered) {
        at::Tensor& gradAvg = s.buffers.at("grad_avg");
        gradAvg.lerp_(d, 1 - spec_.alpha);
        avg = squareAvg.addcmul(gradAvg, gradAvg, -1).sqrt_();
      } else {
        avg = squareAvg.sqrt();
      }
      avg.add_(spec_.eps);
      if (spec_.momentum > 0) {
        at::Tensor& buf = s.buffers.at("momentum_buffer");
        buf.mul_(spec_.momentum).addcdiv_(d, avg);
        p.add_(buf, -lr);
      } else {
        p.addcdiv_(d, avg, -lr);
      }
    }
  }

 protected:
  std::vector<BufferShape> buffersOf(const Slot& s) const override {
    const std::vector<int64_t> sizes = s.param.tensor.sizes().vec();
    std::vector<BufferShape> out{{"square_avg", sizes, at::kFloat}};
    if (spec_.momentum > 0) out.push_back({"momentum_buffer", sizes, at::kFloat});
    if (spec_.centered) out.push_back({"grad_avg", sizes, at::kFloat});
    return out;
  }

 private:
  OptimizerSpec spec_;
};

}  // namespace

std::unique_ptr<Optimizer> createRMSprop(std::vector<OptimizedParameter> params, const OptimizerSpec& spec) {
  return std::make_unique<RMSprop>(std::move(params), spec);
}

}  // namespace embedforge
