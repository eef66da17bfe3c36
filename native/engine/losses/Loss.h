// The loss interface of the engine. A loss maps the sentence embeddings of every input column of a
// batch, and the batch's labels when the data has a label/score column, to a scalar:
//   columns: numColumns tensors (B, D), fp32, column c holding the c-th input of each row
//            (anchor, positive, negative...; or a single column of sentences);
//   labels:  (B) fp32 on the same device, or undefined when the data has no label column.
// The encoder embeds every text of a micro-batch in one forward; the loss runs outside autocast.
// Modifiers (MatryoshkaLoss, ...) hold an inner Loss and call it on transformed inputs.
// The engine reaches every loss through stage() (below): its default embeds all texts in one forward
// and calls compute(); a loss that needs more than one forward (GradCache's mini-batches, a guide
// model) overrides it and drives the encoder itself through a BatchEmbedder, inside the one addon call.
// Options arrive as the LossSpec of lib/binding/AddonTypes.ts (name + options, nested `loss` for
// modifiers), read through LossSpec.h; each loss checks its column count and label kind itself.
#pragma once
#include <ATen/ATen.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "PackedBatch.h"
#include "Precision.h"

namespace embedforge {

struct LossInputs {
  std::vector<at::Tensor> columns;
  at::Tensor labels;
  /** Given only to a loss that asks for it (AdaptiveLayerLoss, through BatchEmbedder::embedAllLayers):
   *  layers[l][c] is column c pooled (and normalized) from hidden state l, l = 0 the embedding layer's
   *  output ... l = numLayers the last layer's (equal to columns). Empty otherwise. */
  std::vector<std::vector<at::Tensor>> layers;

  int64_t batchSize() const { return columns.empty() ? 0 : columns[0].size(0); }
  int64_t dim() const { return columns.empty() ? 0 : columns[0].size(1); }
};

/**
 * The encoder and the texts of one micro-batch, for a loss that runs the forward passes itself
 * (Loss::stage). Implemented by SentenceEncoder; valid for one stage() and its backward.
 */
class BatchEmbedder {
 public:
  virtual ~BatchEmbedder() = default;
  virtual int64_t numColumns() const = 0;
  virtual int64_t rows() const = 0;
  /** Every column in one training-mode forward with autograd: (rows, D) fp32 each, as compute() gets them. */
  virtual std::vector<at::Tensor> embedAll() = 0;
  /** One column (all rows) in one training-mode forward with autograd, (rows, D) fp32: for a loss that embeds
   *  the other columns with a model of its own (ContrastiveTensionLoss). */
  virtual at::Tensor embedColumn(int64_t column) = 0;
  /** Every column pooled from every hidden state in one forward: [layer][column] (rows, D), layer 0 the
   *  embedding layer's output, the last equal to embedAll()'s (LossInputs::layers). Costs one pooling per layer. */
  virtual std::vector<std::vector<at::Tensor>> embedAllLayers();
  /**
   * Rows [begin, end) of one column, training mode, (end - begin, D) fp32. withGrad false: no autograd
   * graph, and the RNG state this forward starts from is kept for the range; withGrad true, after such
   * a pass over the same range: replays that state (dropout draws the same masks, as
   * sentence-transformers' RandContext) and puts the RNG back where it was.
   */
  virtual at::Tensor embed(int64_t column, int64_t begin, int64_t end, bool withGrad) = 0;
  /** The token ids of rows [begin, end) of one column, for a model of the loss's own (GIST's guide). */
  virtual PackedTexts texts(int64_t column, int64_t begin, int64_t end) const = 0;
  virtual at::Device device() const = 0;
  /** The autocast precision of the encoder's forward, for such a model to run under too. */
  virtual Precision precision() const = 0;
};

/** A micro-batch's loss and how to back-propagate it: stage() computes it, the engine checks it, then backward. */
struct StagedLoss {
  at::Tensor value;  // scalar; detached when the loss back-propagates by itself
  /** Adds gradOutput * d value / d parameter to every encoder parameter's .grad (gradOutput: a scalar
   *  tensor carrying the accumulation divisor and the fp16 loss scale). Call at most once. */
  std::function<void(const at::Tensor& gradOutput)> backward;
};

class Loss {
 public:
  virtual ~Loss() = default;
  /** sentence-transformers' class name, used in every error message. */
  virtual std::string name() const = 0;
  /** Scalar loss; throws naming the loss when the inputs do not fit it (see requireColumns/requireLabels). */
  virtual at::Tensor compute(const LossInputs& inputs) const = 0;
  /**
   * What the engine calls for each micro-batch. Default: embedder.embedAll(), compute(), and a backward
   * through the autograd graph. Losses that need more than one forward override it (GradCache.h).
   */
  virtual StagedLoss stage(BatchEmbedder& embedder, const at::Tensor& labels) const;
  /**
   * Trainable tensors the loss owns (SoftmaxLoss' classifier), leaves with requires_grad on the encoder's
   * device, named as in sentence-transformers' loss module ("classifier.weight"; a modifier prefixes its
   * inner loss's with "loss."). The engine optimises them with the encoder and keeps them in the training
   * state; they are not part of the saved model, as in sentence-transformers.
   */
  virtual std::vector<std::pair<std::string, at::Tensor>> parameters() const { return {}; }
};

/** Throws "<loss> needs <what>, got N input column(s)" unless min <= numColumns <= max (max < 0: no limit). */
void requireColumns(const Loss& loss, const LossInputs& inputs, int64_t min, int64_t max, const std::string& what);
/** Throws "<loss> needs <what> (a label or score column)" when the batch has no labels. */
void requireLabels(const Loss& loss, const LossInputs& inputs, const std::string& what);
/** Throws when the batch has labels the loss would silently ignore. */
void rejectLabels(const Loss& loss, const LossInputs& inputs);

}  // namespace embedforge
