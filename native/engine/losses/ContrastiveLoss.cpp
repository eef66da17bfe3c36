// ContrastiveLoss (Hadsell et al.): pulls pairs labelled 1 together, pushes pairs labelled 0 at least
// margin apart. Inputs: columns (A, B), each (B, D); labels (B) 1 (similar) / 0 (dissimilar).
//   d_i    = dist(A_i, B_i), SiameseDistanceMetric euclidean / manhattan / cosine_distance (Distances.h)
//   l_i    = 0.5 * (y_i * d_i^2 + (1 - y_i) * max(margin - d_i, 0)^2)
//   loss   = mean_i l_i (size_average) or sum_i l_i
// A label other than 0/1 weights the two terms, as in sentence-transformers (TypeScript refuses such data).
#include <c10/util/Exception.h>

#include "Distances.h"
#include "LossRegistry.h"

namespace embedforge {

namespace {

class ContrastiveLoss : public Loss {
 public:
  ContrastiveLoss(SiameseDistanceMetric metric, double margin, bool sizeAverage)
      : metric_(metric), margin_(margin), sizeAverage_(sizeAverage) {}

  std::string name() const override { return "ContrastiveLoss"; }

  at::Tensor compute(const LossInputs& in) const override {
    requireColumns(*this, in, 2, 2, "(sentence_A, sentence_B) columns");
    requireLabels(*this, in, "a 1/0 label per pair");
    at::Tensor d = siameseDistance(in.columns[0], in.columns[1], metric_);
    const at::Tensor& y = in.labels;
    at::Tensor losses = 0.5 * (y * d.pow(2) + at::rsub(y, 1) * at::relu(at::rsub(d, margin_)).pow(2));
    return sizeAverage_ ? losses.mean() : losses.sum();
  }

 private:
  SiameseDistanceMetric metric_;
  double margin_;
  bool sizeAverage_;
};

}  // namespace

std::unique_ptr<Loss> makeContrastiveLoss(const LossSpec& spec, const LossContext&) {
  return std::make_unique<ContrastiveLoss>(siameseDistanceMetricFromName(spec.string("distanceMetric"), spec.name()),
                                           spec.number("margin"), spec.boolean("sizeAverage"));
}

}  // namespace embedforge
