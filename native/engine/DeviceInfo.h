// What LibTorch sees of the machine: CUDA availability, device count and name, bf16 support, version.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace embedforge {

struct DeviceInfo {
  bool cudaAvailable = false;
  int64_t cudaDeviceCount = 0;
  std::string cudaDeviceName;
  bool bf16Supported = false;
  std::string torchVersion;
  /** The CUDA runtime LibTorch was built against ("13.0"), read from libtorch_cuda's hooks; "" when the
   *  addon was linked without it (a CPU LibTorch). Needs no GPU. */
  std::string torchCudaVersion;
  /** CUDA-only kernels the engine calls, as registered with the dispatcher by libtorch_cuda (no GPU needed):
   *  name -> registered. An empty map without libtorch_cuda. */
  std::vector<std::pair<std::string, bool>> cudaKernels;
};

DeviceInfo deviceInfo();

/** Seeds the CPU generator and every CUDA generator. */
void manualSeed(uint64_t seed);

}  // namespace embedforge
