// The device name and compute capability come from the CUDA driver API, loaded with dlopen, so the
// engine needs no CUDA headers and still builds and runs on machines without CUDA.
#include "DeviceInfo.h"

#include <ATen/Context.h>
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

}  // namespace

DeviceInfo deviceInfo() {
  DeviceInfo out;
  out.torchVersion = TORCH_VERSION;
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
