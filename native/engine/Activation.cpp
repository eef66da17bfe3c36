// Activation.h
#include "Activation.h"

#include <c10/util/Exception.h>

namespace embedforge {

Activation activationFromName(const std::string& name, const char* key) {
  if (name == "gelu") return Activation::GeluErf;
  if (name == "gelu_new" || name == "gelu_pytorch_tanh") return Activation::GeluTanh;
  if (name == "relu") return Activation::Relu;
  if (name == "silu" || name == "swish") return Activation::Silu;
  TORCH_CHECK(false, "config.json: unsupported ", key, " \"", name, "\" (supported: gelu, gelu_new, gelu_pytorch_tanh, relu, silu)");
}

at::Tensor applyActivation(const at::Tensor& x, Activation act) {
  switch (act) {
    case Activation::GeluErf: return at::gelu(x, "none");
    case Activation::GeluTanh: return at::gelu(x, "tanh");
    case Activation::Relu: return at::relu(x);
    case Activation::Silu: return at::silu(x);
  }
  return x;
}

}  // namespace embedforge
