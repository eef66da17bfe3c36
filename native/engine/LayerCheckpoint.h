// Gradient checkpointing of one encoder layer (training argument gradient_checkpointing), as
// transformers' GradientCheckpointingLayer runs torch.utils.checkpoint: the forward keeps only the layer's
// input (T, H) and its output, not the activations inside it; the backward re-runs the layer with
// autograd on, from the saved input, with the RNG states (CPU, and the device's for CUDA) and the CUDA
// autocast state of the first run, so that dropout draws the same masks, then back-propagates through
// the recomputed graph (parameter gradients accumulate into .grad, the input's gradient goes on).
// Peak memory of a training step: one layer's activations plus every layer's input, instead of all
// layers' activations; the cost is one more forward of each layer.
#pragma once
#include <ATen/ATen.h>

#include <functional>

namespace embedforge {

/** (T, H) -> (T, H): one layer; it must keep (by value or through `this`) everything it reads, since the
 *  backward calls it again after the encoder's forward has returned. */
using LayerFunction = std::function<at::Tensor(const at::Tensor&)>;

/** layer(input), checkpointed when `enabled` and autograd is recording; else a plain call. */
at::Tensor runLayer(const LayerFunction& layer, const at::Tensor& input, bool enabled);

/** The same for a layer that also reads a tensor every layer shares and autograd tracks (MPNet's attention
 *  bias, made from a parameter): it is an input of the checkpoint too, so that each layer's backward hands
 *  its gradient on rather than back-propagating through the shared graph once per layer. */
using SharedInputLayerFunction = std::function<at::Tensor(const at::Tensor&, const at::Tensor&)>;
at::Tensor runLayer(const SharedInputLayerFunction& layer, const at::Tensor& input, const at::Tensor& shared, bool enabled);

}  // namespace embedforge
