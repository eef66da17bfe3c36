// The device name and compute capability come from the CUDA driver API, loaded with dlopen, so the
// engine needs no CUDA headers and still builds and runs on machines without CUDA.
#include "DeviceInfo.h"

#include <ATen/Context.h>
#include <ATen/core/dispatch/Dispatcher.h>
#include <ATen/detail/CUDAHooksInterface.h>
#include <dlfcn.h>
#include <torch/cuda.h>
#include <torch/utils.h>
#include <torch/version.h>

namespace embedforge {

namespace {

struct DriverInfo {
  std::string name;
  int major = 0;
};

DriverInfo queryDriver() {
  DriverInfo info;
  void* lib = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
  if (!lib) return info;
  using InitFn = int (*)(unsigned int);
  using NameFn = int (*)(char*, int, int);
  using AttrFn = int (*)(int*, int, int);
  auto init = reinterpret_cast<InitFn>(dlsym(lib, "cuInit"));
  auto getName = reinterpret_cast<NameFn>(dlsym(lib, "cuDeviceGetName"));
  auto getAttr = reinterpret_cast<AttrFn>(dlsym(lib, "cuDeviceGetAttribute"));
  constexpr int computeCapabilityMajor = 75;  // CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR
  if (init && getName && getAttr && init(0) == 0) {
    char name[256] = {0};
    if (getName(name, sizeof name - 1, 0) == 0) info.name = name;
    getAttr(&info.major, computeCapabilityMajor, 0);
  }
  dlclose(lib);
  return info;
}

// The ops whose CUDA kernels the engine's CUDA paths need, and the dispatch key each must have a kernel for.
struct CudaKernel {
  const char* op;
  c10::DispatchKey key;
};
constexpr CudaKernel kCudaKernels[] = {
    {"aten::_flash_attention_forward", c10::DispatchKey::CUDA},   // Attention.cpp: packed varlen attention
    {"aten::_flash_attention_backward", c10::DispatchKey::CUDA},
    {"aten::_efficient_attention_forward", c10::DispatchKey::CUDA},  // BiasedAttention (MPNet): SDPA with a mask
    {"aten::_efficient_attention_backward", c10::DispatchKey::CUDA},
    {"aten::_fused_adamw_", c10::DispatchKey::CUDA},
    // bf16/fp16 autocast (Precision.cpp). Its CUDA casts are registered by libtorch_cpu, so unlike the rows
    // above this one does not prove libtorch_cuda is loaded; the CUDA version and the kernels above do.
    {"aten::linear", c10::DispatchKey::AutocastCUDA},
};

bool hasKernel(const CudaKernel& k) {
  auto op = c10::Dispatcher::singleton().findOp(c10::OperatorName(k.op, ""));
  return op.has_value() && op->hasKernelForDispatchKey(k.key);
}

// CUDART_VERSION as libtorch_cuda was compiled with it (e.g. 13000 -> "13.0"); throws without libtorch_cuda.
std::string cudaBuildVersion() {
  try {
    const long v = at::detail::getCUDAHooks().versionCUDART();
    return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10);
  } catch (const std::exception&) {
    return "";
  }
}

}  // namespace

DeviceInfo deviceInfo() {
  DeviceInfo out;
  out.torchVersion = TORCH_VERSION;
  out.torchCudaVersion = cudaBuildVersion();
  if (!out.torchCudaVersion.empty()) {
    for (const CudaKernel& k : kCudaKernels) out.cudaKernels.emplace_back(std::string(k.op) + " (" + c10::toString(k.key) + ")", hasKernel(k));
  }
  out.cudaAvailable = torch::cuda::is_available();
  if (out.cudaAvailable) {
    out.cudaDeviceCount = static_cast<int64_t>(torch::cuda::device_count());
    DriverInfo driver = queryDriver();
    out.cudaDeviceName = driver.name;
    out.bf16Supported = driver.major >= 8;  // Ampere and newer
  }
  return out;
}

void manualSeed(uint64_t seed) { torch::manual_seed(seed); }

}  // namespace embedforge
