// The optimizer interface the training step drives, one implementation per file in this folder, created
// by name (createOptimizer) as the HF Trainer's `optim` names them. Parameters come in the two groups the
// HF Trainer forms: weight decay on all but biases and LayerNorm weights (`decays`). A parameter whose
// gradient is undefined is skipped, as torch.optim skips grad None.
// State: per parameter, named buffers ("optimizer.<buffer>.<parameter>", each optimizer declares its
// own) and a step count ("optimizer.step.<parameter>", I64 scalar), plus "optimizer.kind" (the family's
// name as U8 bytes) so that a checkpoint of another optimizer is refused rather than misread.
#pragma once
#include <ATen/ATen.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "../Safetensors.h"

namespace embedforge {

/** The optimizer and its hyperparameters, as lib/binding/AddonTypes.ts' OptimizerSpec. Fields an optimizer does not use are ignored. */
struct OptimizerSpec {
  std::string name = "adamw_torch";  // adamw_torch | adamw_torch_fused | adamw_8bit | sgd | adagrad | rmsprop
  double weightDecay = 0.0;          // the decay group's; the other group has 0
  double beta1 = 0.9;                // AdamW
  double beta2 = 0.999;              // AdamW
  double eps = 1e-8;                 // AdamW, Adagrad, RMSprop
  double momentum = 0.0;             // SGD, RMSprop
  double dampening = 0.0;            // SGD
  bool nesterov = false;             // SGD
  double lrDecay = 0.0;              // Adagrad
  double alpha = 0.99;               // RMSprop
  bool centered = false;             // RMSprop
};

struct OptimizedParameter {
  std::string name;
  at::Tensor tensor;
  bool decays = false;
};

class Optimizer {
 public:
  Optimizer(std::vector<OptimizedParameter> params, std::string kind);
  virtual ~Optimizer() = default;

  /** One update at learning rate lr from the parameters' .grad. */
  virtual void step(double lr) = 0;
  /** The state as CPU tensors (see the top of this file). */
  TensorMap state() const;
  /** Replaces the state; throws naming the file and the missing, misshapen or foreign entry, leaving the state as it was. */
  void loadState(const TensorMap& state, const std::string& path);

 protected:
  struct Slot {
    OptimizedParameter param;
    std::map<std::string, at::Tensor> buffers;  // empty until the parameter's first step (unless the optimizer makes them up front)
    int64_t step = 0;
  };
  struct BufferShape {
    std::string name;
    std::vector<int64_t> sizes;
    at::ScalarType dtype;
  };
  /** The buffers a stepped slot holds, with their shapes and dtypes (what loadState checks). */
  virtual std::vector<BufferShape> buffersOf(const Slot& slot) const = 0;
  /** Whether the optimizer counts steps (torch's SGD does not). */
  virtual bool countsSteps() const { return true; }
  /** A fresh slot's buffers when a checkpoint has none for it (Adagrad makes its sum at construction). */
  virtual void resetSlot(Slot& slot) const { slot.buffers.clear(); slot.step = 0; }

  std::vector<Slot> slots_;
  const std::string kind_;
};

/** The optimizer spec.name names; throws naming an unknown one. */
std::unique_ptr<Optimizer> createOptimizer(std::vector<OptimizedParameter> params, const OptimizerSpec& spec);

// One per file in this folder.
std::unique_ptr<Optimizer> createAdamW8bit(std::vector<OptimizedParameter> params, const OptimizerSpec& spec);
std::unique_ptr<Optimizer> createSGD(std::vector<OptimizedParameter> params, const OptimizerSpec& spec);
std::unique_ptr<Optimizer> createAdagrad(std::vector<OptimizedParameter> params, const OptimizerSpec& spec);
std::unique_ptr<Optimizer> createRMSprop(std::vector<OptimizedParameter> params, const OptimizerSpec& spec);

/** The learning rate check every optimizer makes. */
void checkLearningRate(const char* optimizer, double lr);

}  // namespace embedforge
