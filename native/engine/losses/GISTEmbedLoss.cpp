// GISTEmbedLoss: in-batch negatives whose false negatives a frozen guide model masks, as
// sentence-transformers 6 computes it (the guide and the formula: Gist.h).
// Inputs: columns (anchor, positive) or (anchor, positive, negative), each (B, D); no labels.
//   loss = cross_entropy over [ap | aa | pp | an] / temperature, target the anchor's own positive
//        = gistChunkLoss over all B rows at once.
// stage(): the model embeds every column in one forward with autograd (as any loss), the guide embeds
// the same token ids; compute() alone cannot run the guide (it has no token ids), so a modifier that
// hands this loss embeddings only is refused.
#include <c10/util/Exception.h>

#include "Gist.h"
#include "LossRegistry.h"

namespace embedforge {

namespace {

class GISTEmbedLoss : public Loss {
 public:
  GISTEmbedLoss(GistOptions options, std::unique_ptr<GuideModel> guide) : options_(options), guide_(std::move(guide)) {}

  std::string name() const override { return "GISTEmbedLoss"; }

  at::Tensor compute(const LossInputs&) const override {
    TORCH_CHECK(false, name(), " runs its guide model on the batch's token ids, so it cannot be wrapped by a modifier that hands it "
                "embeddings only");
  }

  StagedLoss stage(BatchEmbedder& embedder, const at::Tensor& labels) const override {
    LossInputs shape{std::vector<at::Tensor>(embedder.numColumns()), labels};
    requireColumns(*this, shape, 2, 3, "(anchor, positive) or (anchor, positive, negative) columns");
    rejectLabels(*this, shape);
    std::vector<at::Tensor> columns = embedder.embedAll();
    std::vector<at::Tensor> guide = guide_->embedColumns(embedder, 0, embedder.rows());
    at::Tensor value = gistChunkLoss(columns, guide, options_, 0, embedder.rows());
    return {value, [value](const at::Tensor& gradOutput) { value.backward(gradOutput); }};
  }

 private:
  GistOptions options_;
  std::unique_ptr<GuideModel> guide_;
};

}  // namespace

std::unique_ptr<Loss> makeGISTEmbedLoss(const LossSpec& spec, const LossContext& context) {
  return std::make_unique<GISTEmbedLoss>(GistOptions::fromSpec(spec), std::make_unique<GuideModel>(spec, context.vocabSize));
}

}  // namespace embedforge
