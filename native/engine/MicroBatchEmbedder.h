// The BatchEmbedder (losses/Loss.h) SentenceEncoder hands a loss for one micro-batch: its packed
// texts, column-major (row i of column c is text c * rows + i), embedded whole in one forward
// (embedAll) or by row ranges of one column (embed), the latter keeping each range's RNG state so
// that GradCache's second, autograd forward replays the first's dropout masks exactly.
// It refers to the caller's texts and packed batch: it lives within one engine call.
#pragma once
#include <ATen/ATen.h>

#include <functional>
#include <map>
#include <utility>
#include <vector>

#include "losses/Loss.h"

namespace embedforge {

class MicroBatchEmbedder : public BatchEmbedder {
 public:
  /** Pooled (and normalized) fp32 embeddings of packed texts, in the engine call's mode (training or not),
   *  with autograd as the grad mode in force says. */
  using Forward = std::function<at::Tensor(const PackedBatch&)>;
  using Pack = std::function<PackedBatch(const PackedTexts&)>;
  /** Forward's embeddings of every hidden state (embedding output first), for embedAllLayers. */
  using LayersForward = std::function<std::vector<at::Tensor>(const PackedBatch&)>;

  MicroBatchEmbedder(const PackedTexts& texts, const PackedBatch& packed, int64_t numColumns, Forward forward, Pack pack,
                     at::Device device, Precision precision);

  int64_t numColumns() const override { return numColumns_; }
  int64_t rows() const override { return rows_; }
  std::vector<at::Tensor> embedAll() override;
  at::Tensor embedColumn(int64_t column) override;
  std::vector<std::vector<at::Tensor>> embedAllLayers() override;
  void setLayersForward(LayersForward layersForward) { layersForward_ = std::move(layersForward); }
  at::Tensor embed(int64_t column, int64_t begin, int64_t end, bool withGrad) override;
  PackedTexts texts(int64_t column, int64_t begin, int64_t end) const override;
  at::Device device() const override { return device_; }
  Precision precision() const override { return precision_; }

 private:
  struct RngState {
    at::Tensor cpu, cuda;
  };
  RngState captureRng() const;
  void restoreRng(const RngState& state) const;
  void checkRange(int64_t column, int64_t begin, int64_t end) const;

  const PackedTexts& texts_;
  const PackedBatch& packed_;
  int64_t numColumns_;
  int64_t rows_;
  Forward forward_;
  LayersForward layersForward_;
  Pack pack_;
  at::Device device_;
  Precision precision_;
  std::map<std::pair<int64_t, int64_t>, RngState> rngStates_;  // by (column, begin)
};

}  // namespace embedforge
