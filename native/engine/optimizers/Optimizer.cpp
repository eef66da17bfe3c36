// Optimizer state save/load shared by every optimizer (see Optimizer.h), and the registry by name.
#include "Optimizer.h"

#include <c10/util/Exception.h>

#include <cmath>
#include <cstring>
#include <functional>
#include <utility>

#include "AdamW.h"

namespace embedforge {

namespace {

const char* const kKindKey = "optimizer.kind";

at::Tensor kindTensor(const std::string& kind) {
  at::Tensor t = at::empty({static_cast<int64_t>(kind.size())}, at::kByte);
  std::memcpy(t.data_ptr<uint8_t>(), kind.data(), kind.size());
  return t;
}

std::string kindOf(const at::Tensor& t) {
  at::Tensor bytes = t.to(at::kCPU, at::kByte).contiguous();
  return std::string(reinterpret_cast<const char*>(bytes.data_ptr<uint8_t>()), static_cast<size_t>(bytes.numel()));
}

}  // namespace

void checkLearningRate(const char* optimizer, double lr) {
  TORCH_CHECK(std::isfinite(lr) && lr >= 0, optimizer, ": learning rate ", lr, " must be a finite number >= 0");
}

Optimizer::Optimizer(std::vector<OptimizedParameter> params, std::string kind) : kind_(std::move(kind)) {
  for (auto& p : params) slots_.push_back({std::move(p), {}, 0});
}

TensorMap Optimizer::state() const {
  TensorMap out;
  out[kKindKey] = kindTensor(kind_);
  for (const Slot& s : slots_) {
    if (s.buffers.empty()) continue;
    for (const auto& [buffer, t] : s.buffers) out["optimizer." + buffer + "." + s.param.name] = t.to(at::kCPU);
    if (countsSteps()) out["optimizer.step." + s.param.name] = at::full({}, s.step, at::kLong);
  }
  return out;
}

void Optimizer::loadState(const TensorMap& state, const std::string& path) {
  // Checkpoints written before optimizers other than AdamW existed carry no kind: they are AdamW's.
  auto kind = state.find(kKindKey);
  const std::string saved = kind == state.end() ? "adamw" : kindOf(kind->second);
  TORCH_CHECK(saved == kind_, path, ": the optimizer state is ", saved, "'s but this run's optimizer is ", kind_,
              " (resume with the optim the checkpoint was trained with)");
  std::vector<std::function<void()>> commits;
  for (Slot& s : slots_) {
    Slot probe = s;
    probe.buffers.clear();
    // A slot's buffers' shapes may depend on the parameter only, so ask with the parameter alone.
    const std::vector<BufferShape> shapes = buffersOf(probe);
    auto st = state.find("optimizer.step." + s.param.name);
    size_t found = st != state.end() ? 1 : 0;
    for (const auto& b : shapes) found += state.count("optimizer." + b.name + "." + s.param.name);
    if (found == 0) {  // never stepped in the checkpoint
      commits.push_back([this, &s] { resetSlot(s); });
      continue;
    }
    TORCH_CHECK(found == shapes.size() + (countsSteps() ? 1 : 0), path, ": incomplete optimizer state for ", s.param.name);
    std::map<std::string, at::Tensor> buffers;
    for (const auto& b : shapes) {
      const at::Tensor& t = state.at("optimizer." + b.name + "." + s.param.name);
      TORCH_CHECK(t.sizes() == at::IntArrayRef(b.sizes), path, ": optimizer state ", b.name, " of ", s.param.name, " has shape ", t.sizes(),
                  " but ", b.sizes, " was expected");
      TORCH_CHECK(at::isFloatingType(t.scalar_type()) == at::isFloatingType(b.dtype), path, ": optimizer state ", b.name, " of ",
                  s.param.name, " is ", t.scalar_type(), " but ", b.dtype, " was expected");
      buffers[b.name] = t.to(s.param.tensor.device(), b.dtype).clone();
    }
    int64_t step = 0;
    if (countsSteps()) {
      TORCH_CHECK(st->second.numel() == 1, path, ": optimizer.step.", s.param.name, " must be a scalar");
      step = st->second.to(at::kLong).item<int64_t>();
    }
    commits.push_back([&s, buffers = std::move(buffers), step] {
      s.buffers = buffers;
      s.step = step;
    });
  }
  for (auto& commit : commits) commit();
}

std::unique_ptr<Optimizer> createOptimizer(std::vector<OptimizedParameter> params, const OptimizerSpec& spec) {
  if (spec.name == "adamw_torch" || spec.name == "adamw_torch_fused") {
    return std::make_unique<AdamW>(std::move(params), spec, spec.name == "adamw_torch_fused");
  }
  if (spec.name == "adamw_8bit") return createAdamW8bit(std::move(params), spec);
  if (spec.name == "sgd") return createSGD(std::move(params), spec);
  if (spec.name == "adagrad") return createAdagrad(std::move(params), spec);
  if (spec.name == "rmsprop") return createRMSprop(std::move(params), spec);
  TORCH_CHECK(false, "unknown optimizer \"", spec.name, "\" (known: adamw_torch, adamw_torch_fused, adamw_8bit, sgd, adagrad, rmsprop)");
}

}  // namespace embedforge
