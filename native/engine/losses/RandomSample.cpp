// sampleIndices (RandomSample.h): the first k of a randperm from the default CPU generator.
#include "RandomSample.h"

#include <ATen/ATen.h>
#include <c10/util/Exception.h>

namespace embedforge {

std::vector<int64_t> sampleIndices(int64_t population, int64_t k) {
  TORCH_CHECK(k >= 0 && k <= population, "internal: cannot sample ", k, " of ", population);
  at::Tensor perm = at::randperm(population, at::TensorOptions().dtype(at::kLong));
  const int64_t* p = perm.data_ptr<int64_t>();
  return std::vector<int64_t>(p, p + k);
}

}  // namespace embedforge
