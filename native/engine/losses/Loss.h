// The loss interface of the engine. A loss maps the sentence embeddings of every input column of a
// batch, and the batch's labels when the data has a label/score column, to a scalar:
//   columns: numColumns tensors (B, D), fp32, column c holding the c-th input of each row
//            (anchor, positive, negative...; or a single column of sentences);
//   labels:  (B) fp32 on the same device, or undefined when the data has no label column.
// The encoder embeds every text of a micro-batch in one forward; the loss runs outside autocast.
// Modifiers (MatryoshkaLoss, ...) hold an inner Loss and call it on transformed inputs.
// Options arrive as the LossSpec of lib/binding/AddonTypes.ts (name + options, nested `loss` for
// modifiers), read through LossSpec.h; each loss checks its column count and label kind itself.
#pragma once
#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <vector>

namespace embedforge {

struct LossInputs {
  std::vector<at::Tensor> columns;
  at::Tensor labels;

  int64_t batchSize() const { return columns.empty() ? 0 : columns[0].size(0); }
  int64_t dim() const { return columns.empty() ? 0 : columns[0].size(1); }
};

class Loss {
 public:
  virtual ~Loss() = default;
  /** sentence-transformers' class name, used in every error message. */
  virtual std::string name() const = 0;
  /** Scalar loss; throws naming the loss when the inputs do not fit it (see requireColumns/requireLabels). */
  virtual at::Tensor compute(const LossInputs& inputs) const = 0;
};

/** Throws "<loss> needs <what>, got N input column(s)" unless min <= numColumns <= max (max < 0: no limit). */
void requireColumns(const Loss& loss, const LossInputs& inputs, int64_t min, int64_t max, const std::string& what);
/** Throws "<loss> needs <what> (a label or score column)" when the batch has no labels. */
void requireLabels(const Loss& loss, const LossInputs& inputs, const std::string& what);
/** Throws when the batch has labels the loss would silently ignore. */
void rejectLabels(const Loss& loss, const LossInputs& inputs);

}  // namespace embedforge
