// Autocast state is thread-local in ATen, so the scope must be opened on the worker thread that runs
// the forward pass; it restores the previous state on exit.
#include "Precision.h"

#include <ATen/autocast_mode.h>
#include <c10/util/Exception.h>

namespace embedforge {

Precision precisionFromName(const std::string& name) {
  if (name == "fp32") return Precision::Fp32;
  if (name == "bf16") return Precision::Bf16;
  if (name == "fp16") return Precision::Fp16;
  TORCH_CHECK(false, "unsupported precision \"", name, "\" (supported: fp32, bf16, fp16)");
}

AutocastScope::AutocastScope(Precision precision, const at::Device& device) {
  if (precision == Precision::Fp32 || !device.is_cuda()) return;
  active_ = true;
  wasEnabled_ = at::autocast::is_autocast_enabled(at::kCUDA);
  previousDtype_ = at::autocast::get_autocast_dtype(at::kCUDA);
  at::autocast::set_autocast_enabled(at::kCUDA, true);
  at::autocast::set_autocast_dtype(at::kCUDA, precision == Precision::Bf16 ? at::kBFloat16 : at::kHalf);
  at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  at::autocast::set_autocast_enabled(at::kCUDA, wasEnabled_);
  at::autocast::set_autocast_dtype(at::kCUDA, previousDtype_);
}

void GradScaler::update(bool foundInf) {
  if (foundInf) {
    scale_ *= 0.5;
    cleanSteps_ = 0;
  } else if (++cleanSteps_ >= growthInterval) {
    scale_ *= 2.0;
    cleanSteps_ = 0;
  }
}

}  // namespace embedforge
