// AdamW exactly as torch.optim.AdamW's single-tensor path (amsgrad off, maximize off):
//   step += 1; p *= 1 - lr * wd (decay group only); m = lerp(m, g, 1 - beta1);
//   v = v * beta2 + (1 - beta2) g^2; p -= lr / (1 - beta1^step) * m / (sqrt(v) / sqrt(1 - beta2^step) + eps).
// Two groups as the Hugging Face Trainer forms them: weight decay on all but biases and LayerNorm
// weights. Parameters whose gradient is undefined are skipped, as torch does for grad None.
// State (by parameter name): exp_avg, exp_avg_sq (shape of the parameter), step (I64 scalar).
#pragma once
#include <ATen/ATen.h>

#include <string>
#include <utility>
#include <vector>

#include "Safetensors.h"

namespace embedforge {

struct AdamWOptions {
  double weightDecay = 0.0;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
};

class AdamW {
 public:
  /** params: (name, tensor, decays) */
  AdamW(std::vector<std::tuple<std::string, at::Tensor, bool>> params, AdamWOptions options);

  void step(double lr);
  /** Names "optimizer.exp_avg.<param>", "optimizer.exp_avg_sq.<param>", "optimizer.step.<param>"; CPU tensors. */
  TensorMap state() const;
  /** Replaces the state; throws naming a missing or misshapen entry (and leaves the state as it was). */
  void loadState(const TensorMap& state, const std::string& path);

 private:
  struct Slot {
    std::string name;
    at::Tensor param;
    bool decays;
    at::Tensor expAvg, expAvgSq;
    int64_t step = 0;
  };
  std::vector<Slot> slots_;
  AdamWOptions options_;
};

}  // namespace embedforge
