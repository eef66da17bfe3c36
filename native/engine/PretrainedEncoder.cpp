// Weights I/O shared by the architectures (PretrainedEncoder.h).
#include "PretrainedEncoder.h"

#include <ATen/core/grad_mode.h>
#include <c10/util/Exception.h>

#include <cmath>

namespace embedforge {

namespace {

std::string shapeString(at::IntArrayRef shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace

void PretrainedEncoder::allocateParameters() {
  for (const auto& [name, shape] : expectedShapes()) {
    params_.emplace_back(name, at::zeros(shape, at::TensorOptions().dtype(at::kFloat).device(device_)).requires_grad_(true));
  }
}

at::Tensor& PretrainedEncoder::param(const std::string& name) {
  for (auto& [n, t] : params_) {
    if (n == name) return t;
  }
  TORCH_CHECK(false, "internal: no parameter ", name);
}

const at::Tensor& PretrainedEncoder::param(const std::string& name) const {
  return const_cast<PretrainedEncoder*>(this)->param(name);
}

at::Tensor PretrainedEncoder::paramOrNone(const std::string& name) const {
  for (const auto& [n, t] : params_) {
    if (n == name) return t;
  }
  return at::Tensor();
}

bool PretrainedEncoder::decays(const std::string& name) const {
  return name.find("bias") == std::string::npos && name.find("LayerNorm") == std::string::npos;
}

std::vector<std::string> PretrainedEncoder::parameterNames() const {
  std::vector<std::string> names;
  for (const auto& p : params_) names.push_back(p.first);
  return names;
}

void PretrainedEncoder::load(const std::string& path) {
  TensorMap file = readSafetensors(path);
  // Checkpoints of *For* heads (ForMaskedLM, ...) prefix the encoder's tensors; the encoder's own names carry none.
  const std::string& prefix = weightPrefix_;
  TensorMap stripped;
  for (auto& [name, t] : file) {
    const std::string key = name.rfind(prefix, 0) == 0 ? name.substr(prefix.size()) : name;
    TORCH_CHECK(!stripped.count(key), path, ": tensor ", key, " appears both with and without the \"", prefix, "\" prefix");
    stripped.emplace(key, t);
  }
  const Shapes shapes = expectedShapes();
  for (const auto& [name, shape] : shapes) {
    auto it = stripped.find(name);
    TORCH_CHECK(it != stripped.end(), path, ": missing tensor ", name, " (expected shape ", shapeString(shape), ")");
    TORCH_CHECK(it->second.sizes() == at::IntArrayRef(shape), path, ": tensor ", name, " has shape ",
                shapeString(it->second.sizes()), " but the config wants ", shapeString(shape));
    TORCH_CHECK(it->second.scalar_type() == at::kFloat, path, ": tensor ", name, " is not a floating-point tensor");
  }
  // Weights saved after training diverged hold NaN/Inf and would give NaN embeddings with no error.
  // One pass without a temporary (min and max are NaN or Inf exactly when some value is); the count only on failure.
  for (const auto& [name, shape] : shapes) {
    const at::Tensor& t = stripped.at(name);
    if (t.numel() == 0) continue;
    const auto [lo, hi] = at::aminmax(t);
    if (std::isfinite(lo.item<double>()) && std::isfinite(hi.item<double>())) continue;
    const int64_t bad = t.numel() - at::isfinite(t).sum().item<int64_t>();
    TORCH_CHECK(false, path, ": tensor ", name, " holds ", bad, " non-finite values (NaN or Inf) of ", t.numel(),
                "; the weights are unusable (saved after training diverged?)");
  }
  // All checks passed: only now replace the weights.
  at::NoGradGuard noGrad;
  for (auto& [name, t] : params_) {
    t.copy_(stripped.at(name));
    stripped.erase(name);
  }
  extras_ = std::move(stripped);
}

void PretrainedEncoder::save(const std::string& path) const {
  TensorMap all = extras_;
  for (const auto& [name, t] : params_) all[name] = t.detach();
  writeSafetensors(path, all);
}

}  // namespace embedforge
