// The random choices of the modifiers (AdaptiveLayerLoss' prior layers, MatryoshkaLoss' n_dims_per_step),
// which sentence-transformers makes with Python's random.sample. Here they come from LibTorch's default
// CPU generator (seeded by the Trainer, saved and restored with the training state), so a run is
// reproducible and resumable, though not the same draws as Python's; the parity tests fix the choice on
// both sides (a spec's sampled* test option).
#pragma once
#include <cstdint>
#include <vector>

namespace embedforge {

/** k distinct indices of 0..population-1 in random order, as random.sample(range(population), k). */
std::vector<int64_t> sampleIndices(int64_t population, int64_t k);

}  // namespace embedforge
