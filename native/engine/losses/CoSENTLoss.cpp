// CoSENTLoss (Su, 2022): a ranking loss over every two pairs of the batch whose gold scores differ.
// Inputs: columns (sentence_A, sentence_B), each (B, D); labels (B) float similarity scores.
//   loss = cosentLoss(A, B, labels, scale, similarity_fct)   (formula in CoSENT.h)
#include <c10/util/Exception.h>

#include "CoSENT.h"
#include "LossRegistry.h"

namespace embedforge {

at::Tensor cosentLoss(const at::Tensor& a, const at::Tensor& b, const at::Tensor& labels, double scale, PairwiseScore fn) {
  at::Tensor scores = pairwiseScores(a, b, fn) * scale;
  scores = scores.unsqueeze(1) - scores.unsqueeze(0);
  at::Tensor ordered = (labels.unsqueeze(1) < labels.unsqueeze(0)).to(scores.scalar_type());
  scores = scores - at::rsub(ordered, 1) * 1e12;
  scores = at::cat({at::zeros({1}, scores.options()), scores.view({-1})}, 0);
  return at::logsumexp(scores, {0});
}

namespace {

class CoSENTLoss : public Loss {
 public:
  CoSENTLoss(double scale, PairwiseScore similarity) : scale_(scale), similarity_(similarity) {}

  std::string name() const override { return "CoSENTLoss"; }

  at::Tensor compute(const LossInputs& in) const override {
    requireColumns(*this, in, 2, 2, "(sentence_A, sentence_B) columns");
    requireLabels(*this, in, "a float similarity score per pair");
    return cosentLoss(in.columns[0], in.columns[1], in.labels, scale_, similarity_);
  }

 private:
  double scale_;
  PairwiseScore similarity_;
};

}  // namespace

std::unique_ptr<Loss> makeCoSENTLoss(const LossSpec& spec, const LossContext&) {
  return std::make_unique<CoSENTLoss>(spec.number("scale"), pairwiseScoreFromName(spec.string("similarity"), spec.name()));
}

}  // namespace embedforge
