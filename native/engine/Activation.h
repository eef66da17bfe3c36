// The feed-forward activations of the architectures, by the names transformers' ACT2FN gives them.
#pragma once
#include <ATen/ATen.h>

#include <string>

namespace embedforge {

enum class Activation { GeluErf, GeluTanh, Relu, Silu };

/** "gelu" (erf), "gelu_new" / "gelu_pytorch_tanh" (tanh approximation), "relu", "silu" / "swish"; any other name is
 *  refused, naming the config key. */
Activation activationFromName(const std::string& name, const char* key);

at::Tensor applyActivation(const at::Tensor& x, Activation act);

}  // namespace embedforge
