// What LibTorch sees of the machine: CUDA availability, device count and name, bf16 support, version.
#pragma once
#include <cstdint>
#include <string>

namespace embedforge {

struct DeviceInfo {
  bool cudaAvailable = false;
  int64_t cudaDeviceCount = 0;
  std::string cudaDeviceName;
  bool bf16Supported = false;
  std::string torchVersion;
};

DeviceInfo deviceInfo();

/** Seeds the CPU generator and every CUDA generator. */
void manualSeed(uint64_t seed);

}  // namespace embedforge
