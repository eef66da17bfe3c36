// A custom autograd node (LibTorch C++ has no torch.utils.checkpoint): see LayerCheckpoint.h.
#include "LayerCheckpoint.h"

#include <ATen/autocast_mode.h>
#include <ATen/core/grad_mode.h>
#include <ATen/Context.h>
#include <torch/csrc/autograd/autograd.h>
#include <torch/csrc/autograd/function.h>
#include <torch/csrc/autograd/functions/utils.h>

#include <mutex>
#include <vector>

namespace embedforge {

namespace {

struct RngStates {
  at::Tensor cpu;
  at::Tensor cuda;  // defined when the layer runs on CUDA
  c10::Device cudaDevice{at::kCPU};
};

at::Generator cudaGeneratorOf(const c10::Device& device) {
  return at::globalContext().defaultGenerator(c10::Device(at::kCUDA, device.has_index() ? device.index() : 0));
}

RngStates captureRng(const at::Tensor& input) {
  RngStates s;
  at::Generator cpu = at::detail::getDefaultCPUGenerator();
  {
    std::lock_guard<std::mutex> lock(cpu.mutex());
    s.cpu = cpu.get_state();
  }
  if (input.is_cuda()) {
    s.cudaDevice = input.device();
    at::Generator cuda = cudaGeneratorOf(s.cudaDevice);
    std::lock_guard<std::mutex> lock(cuda.mutex());
    s.cuda = cuda.get_state();
  }
  return s;
}

void restoreRng(const RngStates& s) {
  at::Generator cpu = at::detail::getDefaultCPUGenerator();
  {
    std::lock_guard<std::mutex> lock(cpu.mutex());
    cpu.set_state(s.cpu);
  }
  if (s.cuda.defined()) {
    at::Generator cuda = cudaGeneratorOf(s.cudaDevice);
    std::lock_guard<std::mutex> lock(cuda.mutex());
    cuda.set_state(s.cuda);
  }
}

/** The CUDA autocast state of the first run, put back around the recomputation (the backward runs outside autocast). */
struct AutocastState {
  bool enabled = at::autocast::is_autocast_enabled(at::kCUDA);
  at::ScalarType dtype = at::autocast::get_autocast_dtype(at::kCUDA);
};

class CheckpointedLayerBackward : public torch::autograd::Node {
 public:
  CheckpointedLayerBackward(SharedInputLayerFunction layer, const std::vector<at::Tensor>& inputs, RngStates rng, AutocastState autocast)
      : layer_(std::move(layer)), rng_(std::move(rng)), autocast_(autocast) {
    for (const at::Tensor& t : inputs) {
      inputs_.push_back(t.defined() ? t.detach() : t);
      requiresGrad_.push_back(t.defined() && t.requires_grad());
    }
  }

  torch::autograd::variable_list apply(torch::autograd::variable_list&& grads) override {
    TORCH_CHECK(!inputs_.empty(), "a checkpointed layer's backward ran twice (its saved inputs are released after the first)");
    std::vector<at::Tensor> xs;
    for (size_t i = 0; i < inputs_.size(); ++i) xs.push_back(inputs_[i].defined() ? inputs_[i].detach().requires_grad_(requiresGrad_[i]) : inputs_[i]);
    const at::Tensor& x = xs[0];
    at::Tensor out;
    {
      at::AutoGradMode gradOn(true);
      const RngStates outside = captureRng(x);
      restoreRng(rng_);
      const bool wasEnabled = at::autocast::is_autocast_enabled(at::kCUDA);
      const at::ScalarType wasDtype = at::autocast::get_autocast_dtype(at::kCUDA);
      at::autocast::set_autocast_enabled(at::kCUDA, autocast_.enabled);
      at::autocast::set_autocast_dtype(at::kCUDA, autocast_.dtype);
      if (autocast_.enabled) at::autocast::increment_nesting();
      try {
        out = layer_(x, xs[1]);
      } catch (...) {
        if (autocast_.enabled && at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
        at::autocast::set_autocast_enabled(at::kCUDA, wasEnabled);
        at::autocast::set_autocast_dtype(at::kCUDA, wasDtype);
        restoreRng(outside);
        throw;
      }
      if (autocast_.enabled && at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
      at::autocast::set_autocast_enabled(at::kCUDA, wasEnabled);
      at::autocast::set_autocast_dtype(at::kCUDA, wasDtype);
      restoreRng(outside);
    }
    inputs_.clear();  // the recomputed graph holds what the backward needs now
    torch::autograd::variable_list inputGrads(xs.size());
    if (!grads[0].defined()) return inputGrads;
    // Re-entrant backward through the recomputed layer: parameters' .grad accumulate, the inputs' are ours to return.
    torch::autograd::backward({out}, {grads[0]});
    for (size_t i = 0; i < xs.size(); ++i) {
      if (requiresGrad_[i]) inputGrads[i] = xs[i].grad();
    }
    return inputGrads;
  }

  std::string name() const override { return "CheckpointedLayerBackward"; }

  void release_variables() override { inputs_.clear(); }

 private:
  SharedInputLayerFunction layer_;
  std::vector<at::Tensor> inputs_;  // the layer input, then the shared tensor (undefined for a plain layer)
  std::vector<bool> requiresGrad_;
  RngStates rng_;
  AutocastState autocast_;
};

}  // namespace

at::Tensor runLayer(const SharedInputLayerFunction& layer, const at::Tensor& input, const at::Tensor& shared, bool enabled) {
  if (!enabled || !at::GradMode::is_enabled()) return layer(input, shared);
  RngStates rng = captureRng(input);
  AutocastState autocast;
  at::Tensor out;
  {
    at::NoGradGuard noGrad;
    out = layer(input, shared);
  }
  const std::vector<at::Tensor> inputs{input, shared};
  auto node = std::shared_ptr<CheckpointedLayerBackward>(new CheckpointedLayerBackward(layer, inputs, std::move(rng), autocast),
                                                         torch::autograd::deleteNode);
  // The node's input edges are the histories of the layer input and the shared tensor; its output is `out`.
  node->set_next_edges(torch::autograd::collect_next_edges(inputs));
  torch::autograd::create_gradient_edge(out, node);
  return out;
}

at::Tensor runLayer(const LayerFunction& layer, const at::Tensor& input, bool enabled) {
  return runLayer([layer](const at::Tensor& x, const at::Tensor&) { return layer(x); }, input, at::Tensor(), enabled);
}

}  // namespace embedforge
