// Mixed precision: an autocast scope for CUDA forward passes (bf16/fp16 over fp32 master weights) and
// a dynamic loss scaler for fp16 (scale the loss, unscale the gradients, skip a step on inf/nan,
// halve the scale then; double it after `growthInterval` clean steps), like torch.amp.GradScaler.
#pragma once
#include <ATen/ATen.h>

#include <string>

namespace embedforge {

enum class Precision { Fp32, Bf16, Fp16 };

/** "fp32" | "bf16" | "fp16". */
Precision precisionFromName(const std::string& name);

/** Enables autocast on CUDA for its lifetime when precision is not fp32 and the device is CUDA; else nothing. */
class AutocastScope {
 public:
  AutocastScope(Precision precision, const at::Device& device);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_ = false;
  bool wasEnabled_ = false;
  at::ScalarType previousDtype_ = at::kHalf;
};

class GradScaler {
 public:
  double scale() const { return scale_; }
  void setScale(double scale) { scale_ = scale; }
  /** After an optimizer step attempt: found non-finite gradients or not. */
  void update(bool foundInf);

 private:
  double scale_ = 65536.0;
  int64_t cleanSteps_ = 0;
  static constexpr int64_t growthInterval = 2000;
};

}  // namespace embedforge
