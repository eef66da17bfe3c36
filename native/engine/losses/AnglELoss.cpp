// AnglELoss (Li & Li, 2023): CoSENT with the angle-difference score (PairwiseScores.h' angle).
// Inputs: either columns (sentence_A, sentence_B) with labels (B) float scores:
//   loss = cosentLoss(A, B, labels, scale, angle)                      (CoSENT.h)
// or columns (anchor, positive, negative_1, ..., negative_n), labels optional (default 1 each): the
// tuples become pairs (anchor, positive) scored label and (anchor, negative_k) scored 1 - label:
//   loss = cosentLoss([anchor] * (n + 1), [positive; negative_1; ...], [label; (1 - label) * n], scale, angle)
#include <c10/util/Exception.h>

#include "CoSENT.h"
#include "LossRegistry.h"

namespace embedforge {

namespace {

class AnglELoss : public Loss {
 public:
  explicit AnglELoss(double scale) : scale_(scale) {}

  std::string name() const override { return "AnglELoss"; }

  at::Tensor compute(const LossInputs& in) const override {
    requireColumns(*this, in, 2, -1, "(sentence_A, sentence_B) columns with a score, or (anchor, positive, negative...) columns");
    const auto numColumns = static_cast<int64_t>(in.columns.size());
    if (numColumns == 2) {
      requireLabels(*this, in, "a float similarity score per pair (or (anchor, positive, negative...) columns)");
      return cosentLoss(in.columns[0], in.columns[1], in.labels, scale_, PairwiseScore::Angle);
    }
    if (in.labels.defined()) requireLabels(*this, in, "a float score per row");
    const at::Tensor& anchors = in.columns[0];
    at::Tensor labels = in.labels.defined() ? in.labels : at::ones({anchors.size(0)}, anchors.options());
    at::Tensor others = at::cat(std::vector<at::Tensor>(in.columns.begin() + 1, in.columns.end()), 0);
    at::Tensor pairLabels = at::cat({labels, at::rsub(labels, 1).repeat({numColumns - 2})}, 0);
    return cosentLoss(anchors.repeat({numColumns - 1, 1}), others, pairLabels, scale_, PairwiseScore::Angle);
  }

 private:
  double scale_;
};

}  // namespace

std::unique_ptr<Loss> makeAnglELoss(const LossSpec& spec, const LossContext&) {
  return std::make_unique<AnglELoss>(spec.number("scale"));
}

}  // namespace embedforge
