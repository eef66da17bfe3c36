// A torch.Generator on the CPU, for the batch samplers. sentence-transformers shuffles its training data
// with torch.randperm(n, generator=g) after g.manual_seed(seed + epoch); the same LibTorch generator
// (mt19937) and the same call here give the same permutation, so embedforge draws the batches that
// sentence-transformers draws for the same seed. Several draws from one generator continue its state,
// as in Python (the multi-dataset samplers share one generator among the datasets' samplers).
#pragma once
#include <ATen/core/Generator.h>
#include <ATen/core/Tensor.h>

#include <cstdint>

namespace embedforge {

class CpuGenerator {
 public:
  /** torch.Generator(): seeded with LibTorch's default seed until manualSeed is called. */
  CpuGenerator();
  /** generator.manual_seed(seed). */
  void manualSeed(uint64_t seed);
  /** torch.randperm(n, generator=this): a permutation of 0..n-1, int64 on the CPU. */
  at::Tensor randperm(int64_t n);

 private:
  at::Generator generator_;
};

}  // namespace embedforge
