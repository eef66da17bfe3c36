#include "Random.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Functions.h>
#include <c10/util/Exception.h>

#include <mutex>

namespace embedforge {

CpuGenerator::CpuGenerator() : generator_(at::make_generator<at::CPUGeneratorImpl>()) {}

void CpuGenerator::manualSeed(uint64_t seed) {
  // As torch.Generator.manual_seed: the generator's mutex guards its state.
  std::lock_guard<std::mutex> lock(generator_.mutex());
  generator_.set_current_seed(seed);
}

at::Tensor CpuGenerator::randperm(int64_t n) {
  TORCH_CHECK(n >= 0, "randperm: n must be non-negative, got ", n);
  // at::randperm takes the generator's mutex itself. The dtype does not change the draws (int32 or int64
  // in Python give the same permutation).
  return at::randperm(n, generator_, at::TensorOptions().dtype(at::kLong).device(at::kCPU));
}

}  // namespace embedforge
