// Encode and train steps. Non-finite losses are rejected before backward and non-finite gradient
// norms (fp32/bf16) before the optimizer step, so a bad batch never changes weights or optimizer state.
#include "SentenceEncoder.h"

#include <ATen/Context.h>
#include <c10/core/GradMode.h>
#include <c10/core/InferenceMode.h>
#include <ATen/core/grad_mode.h>
#include <c10/util/Exception.h>
#include <torch/cuda.h>

#include <cmath>
#include <limits>
#include <mutex>
#include <stdexcept>

#include "EncoderFactory.h"
#include "MicroBatchEmbedder.h"
#include "losses/LossRegistry.h"

namespace embedforge {

namespace {

std::string describeNonFinite(double v) { return std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf"); }

at::Generator cudaGenerator(const at::Device& device) {
  return at::globalContext().defaultGenerator(at::Device(at::kCUDA, device.has_index() ? device.index() : 0));
}

}  // namespace

// "cpu", "cuda" (device 0) or "cuda:N" (device N, which must exist).
at::Device parseDevice(const std::string& name) {
  if (name == "cpu") return at::Device(at::kCPU);
  if (name != "cuda" && name.rfind("cuda:", 0) != 0) TORCH_CHECK(false, "unsupported device \"", name, "\" (supported: cpu, cuda, cuda:N)");
  int64_t index = 0;
  if (name != "cuda") {
    const std::string digits = name.substr(5);
    TORCH_CHECK(!digits.empty() && digits.size() <= 4 && digits.find_first_not_of("0123456789") == std::string::npos,
                "unsupported device \"", name, "\": the CUDA device index must be a number (cuda:0, cuda:1, ...)");
    index = std::stoll(digits);
  }
  TORCH_CHECK(torch::cuda::is_available(), "device \"", name, "\" requested but CUDA is not available to LibTorch on this machine");
  const int64_t count = static_cast<int64_t>(torch::cuda::device_count());
  TORCH_CHECK(index < count, "device \"", name, "\" requested but this machine has ", count, " CUDA device", count == 1 ? "" : "s",
              " (cuda:0 to cuda:", count - 1, ")");
  return at::Device(at::kCUDA, static_cast<c10::DeviceIndex>(index));
}

SentenceEncoder::SentenceEncoder(const EncoderOptions& options)
    : device_(parseDevice(options.device)),
      encoder_(createEncoder(options.configJson, device_)),
      pooling_(options.pooling),
      normalize_(options.normalize) {}

PackedBatch SentenceEncoder::pack(const PackedTexts& texts) const {
  const EncoderConfig c = encoder_->encoderConfig();
  return packBatch(texts, c.vocabSize, c.maxSequenceLength, device_);
}

void SentenceEncoder::rethrowOom(const PackedBatch& batch) const {
  throw std::runtime_error("out of memory on " + device_.str() + " for a batch of " + std::to_string(batch.batchSize) +
                           " texts (max length " + std::to_string(batch.maxLength) + "): lower the batch size");
}

at::Tensor SentenceEncoder::embed(const PackedBatch& batch, bool training, Precision precision) const {
  at::Tensor tokens;
  {
    AutocastScope autocast(precision, device_);
    tokens = encoder_->forward(batch, training);
  }
  at::Tensor pooled = pool(tokens.to(at::kFloat), batch, pooling_);
  return normalize_ ? normalizeRows(pooled) : pooled;
}

std::vector<at::Tensor> SentenceEncoder::embedLayers(const PackedBatch& batch, bool training, Precision precision) const {
  std::vector<at::Tensor> hidden;
  {
    AutocastScope autocast(precision, device_);
    encoder_->forward(batch, training, &hidden);
  }
  std::vector<at::Tensor> out;
  for (const at::Tensor& tokens : hidden) {
    at::Tensor pooled = pool(tokens.to(at::kFloat), batch, pooling_);
    out.push_back(normalize_ ? normalizeRows(pooled) : pooled);
  }
  return out;
}

at::Tensor SentenceEncoder::encode(const PackedTexts& texts) {
  PackedBatch batch = pack(texts);
  try {
    c10::InferenceMode inference;
    const Precision precision = spec_ ? spec_->precision : Precision::Fp32;
    return embed(batch, /*training=*/false, precision).to(at::kCPU).contiguous();
  } catch (const c10::OutOfMemoryError&) {
    rethrowOom(batch);
  }
}

void SentenceEncoder::configureTraining(const TrainingSpec& spec) {
  TORCH_CHECK(!spec.losses.empty(), "configureTraining needs at least one loss");
  std::vector<std::unique_ptr<Loss>> losses;
  LossContext context{embeddingDim()};
  context.vocabSize = encoder_->encoderConfig().vocabSize;  // a GIST guide must share the model's vocabulary
  context.device = device_;                                 // a loss's own parameters (SoftmaxLoss' head) live here
  context.encoder = encoder_.get();                         // ContrastiveTension losses copy the model as it is now
  context.pooling = pooling_;
  context.normalize = normalize_;
  for (const JsonValue& loss : spec.losses) losses.push_back(createLoss(LossSpec(loss), context));
  std::vector<OptimizedParameter> params;
  for (const auto& [name, t] : encoder_->parameters()) params.push_back({name, t, encoder_->decays(name)});
  // Loss-owned parameters train with the encoder, named "losses.<i>.<name in the loss>", decayed by the same rule.
  std::vector<std::pair<std::string, at::Tensor>> lossParams;
  for (size_t i = 0; i < losses.size(); ++i) {
    for (const auto& [name, t] : losses[i]->parameters()) {
      lossParams.emplace_back("losses." + std::to_string(i) + "." + name, t);
      params.push_back({lossParams.back().first, t, encoder_->decays(name)});
    }
  }
  optimizer_ = createOptimizer(std::move(params), spec.optimizer);
  encoder_->setGradientCheckpointing(spec.gradientCheckpointing);
  lossParams_ = std::move(lossParams);
  spec_ = spec;
  losses_ = std::move(losses);
  scaler_ = GradScaler();
  if (device_.is_cuda()) at::globalContext().setAllowTF32CuBLAS(spec.tf32);
  zeroGrad();
}

StagedLoss SentenceEncoder::stageLoss(const PackedBatch& packed, const LossBatch& batch, bool training) const {
  const int64_t numColumns = batch.numColumns;
  TORCH_CHECK(numColumns >= 1, "numColumns must be >= 1, got ", numColumns);
  TORCH_CHECK(packed.batchSize % numColumns == 0, "got ", packed.batchSize, " texts, not a multiple of numColumns = ", numColumns,
              " (texts are column-major: numColumns blocks of batchSize texts)");
  const int64_t rows = packed.batchSize / numColumns;
  at::Tensor labels;
  if (!batch.labels.empty()) {
    TORCH_CHECK(static_cast<int64_t>(batch.labels.size()) == rows, "got ", batch.labels.size(), " labels for a batch of ", rows, " rows");
    labels = at::tensor(batch.labels, at::kFloat);
    // Pinned and asynchronous on CUDA: a pageable copy would make the host wait for the device.
    if (device_.is_cuda()) labels = labels.pin_memory().to(device_, /*non_blocking=*/true);
  }
  TORCH_CHECK(batch.lossIndex >= 0 && batch.lossIndex < static_cast<int64_t>(losses_.size()), "lossIndex ", batch.lossIndex,
              " is outside the ", losses_.size(), " configured loss(es)");
  // The loss runs outside autocast, in fp32, for an accurate softmax over the similarity matrix.
  auto embedder = std::make_shared<MicroBatchEmbedder>(
      batch.texts, packed, numColumns, [this, training](const PackedBatch& b) { return embed(b, training, spec_->precision); },
      [this](const PackedTexts& t) { return pack(t); }, device_, spec_->precision);
  embedder->setLayersForward([this, training](const PackedBatch& b) { return embedLayers(b, training, spec_->precision); });
  StagedLoss staged = losses_[batch.lossIndex]->stage(*embedder, labels);
  // A multi-forward loss re-embeds in its backward: the embedder lives as long as the backward does.
  staged.backward = [embedder, backward = std::move(staged.backward)](const at::Tensor& gradOutput) { backward(gradOutput); };
  return staged;
}

void SentenceEncoder::zeroGrad() {
  for (const auto& p : trainableParameters()) {
    at::Tensor t = p.second;
    t.mutable_grad().reset();
  }
}

std::vector<std::pair<std::string, at::Tensor>> SentenceEncoder::trainableParameters() const {
  std::vector<std::pair<std::string, at::Tensor>> all = encoder_->parameters();
  all.insert(all.end(), lossParams_.begin(), lossParams_.end());
  return all;
}

TrainStepResult SentenceEncoder::trainStep(const TrainStepRequest& r) {
  TORCH_CHECK(optimizer_, "configureTraining must be called before trainStep");
  TORCH_CHECK(r.lossDivisor > 0 && std::isfinite(r.lossDivisor), "lossDivisor must be a positive number, got ", r.lossDivisor);
  TORCH_CHECK(std::isfinite(r.learningRate) && r.learningRate >= 0, "learningRate must be a finite number >= 0, got ", r.learningRate);
  PackedBatch batch = pack(r.batch.texts);
  const bool fp16 = spec_->precision == Precision::Fp16 && device_.is_cuda();
  TrainStepResult result;
  result.gradNorm = std::numeric_limits<double>::quiet_NaN();
  // One read-back from the device per call (a host synchronisation on CUDA): the loss, and at an optimizer
  // step the gradient norm, come back together once backward is queued. A non-finite loss is therefore
  // found after its backward rather than before; either way the step's gradients are dropped and the
  // weights and optimizer state stay untouched, so the outcome is the same.
  auto rejectNonFiniteLoss = [&] {
    if (std::isfinite(result.loss)) return;
    zeroGrad();
    TORCH_CHECK(false, "non-finite loss (", describeNonFinite(result.loss), ") at this step");
  };
  try {
    StagedLoss loss = stageLoss(batch, r.batch);
    const at::Tensor lossValue = loss.value.detach();
    // d (loss / lossDivisor * fp16 scale) / d loss, handed to the loss's backward so that a
    // multi-forward loss applies the accumulation divisor and the loss scale to every mini-batch.
    at::Tensor gradOutput = at::ones_like(loss.value) / r.lossDivisor;
    if (fp16) gradOutput = gradOutput * scaler_.scale();
    loss.backward(gradOutput);
    if (!r.optimizerStep) {
      result.loss = lossValue.item<double>();
      rejectNonFiniteLoss();
      return result;
    }

    std::vector<at::Tensor> grads;
    for (const auto& p : encoder_->parameters()) {
      if (p.second.grad().defined()) grads.push_back(p.second.grad());
    }
    // A loss's own parameters (SoftmaxLoss' head) step with the encoder but stay out of the reported norm
    // and the clipping, as the HF Trainer clips model.parameters() only.
    std::vector<at::Tensor> lossGrads;
    for (const auto& p : lossParams_) {
      if (p.second.grad().defined()) lossGrads.push_back(p.second.grad());
    }
    at::NoGradGuard noGrad;
    if (fp16) {
      for (auto& g : grads) g.mul_(1.0 / scaler_.scale());
      for (auto& g : lossGrads) g.mul_(1.0 / scaler_.scale());
    }
    std::vector<at::Tensor> norms;
    for (const auto& g : grads) norms.push_back(g.norm(2));
    at::Tensor total = norms.empty() ? at::zeros({}, lossValue.options()) : at::stack(norms).norm(2);
    // [loss, grad norm, whether every loss-owned gradient is finite] in one copy to the host.
    std::vector<at::Tensor> flags{lossValue.to(at::kDouble).reshape({}), total.to(at::kDouble)};
    std::vector<at::Tensor> lossGradsFinite;
    for (const auto& g : lossGrads) lossGradsFinite.push_back(g.isfinite().all());
    flags.push_back(lossGradsFinite.empty() ? at::ones({}, flags[0].options())
                                            : at::stack(lossGradsFinite).all().to(at::kDouble));
    const at::Tensor host = at::stack(flags).to(at::kCPU);
    const double* read = host.data_ptr<double>();
    result.loss = read[0];
    rejectNonFiniteLoss();
    result.gradNorm = read[1];
    if (read[2] == 0.0 && std::isfinite(result.gradNorm)) result.gradNorm = std::numeric_limits<double>::infinity();
    if (!std::isfinite(result.gradNorm)) {
      zeroGrad();
      if (fp16) {  // the dynamic loss scale overflowed: skip this step and retry smaller, as GradScaler does
        scaler_.update(true);
        return result;
      }
      TORCH_CHECK(false, "non-finite gradient norm (", describeNonFinite(result.gradNorm), ") at this step");
    }
    if (r.maxGradNorm > 0) {
      at::Tensor coef = at::clamp_max(r.maxGradNorm / (total + 1e-6), 1.0);
      for (auto& g : grads) g.mul_(coef.to(g.device()));
    }
    optimizer_->step(r.learningRate);
    if (fp16) scaler_.update(false);
    zeroGrad();
  } catch (const c10::OutOfMemoryError&) {
    zeroGrad();
    rethrowOom(batch);
  }
  return result;
}

LossAndGradients SentenceEncoder::lossAndGradients(const LossBatch& request) {
  TORCH_CHECK(spec_, "configureTraining must be called before lossAndGradients (it sets the loss)");
  PackedBatch batch = pack(request.texts);
  // trainStep's path (Loss::stage, backward into .grad), with the accumulated gradients set aside
  // meanwhile and put back after, so that they and the optimizer are left as they were.
  const auto params = trainableParameters();
  std::vector<at::Tensor> accumulated;
  for (const auto& p : params) accumulated.push_back(p.second.grad());
  auto restore = [&] {
    for (size_t i = 0; i < params.size(); ++i) {
      at::Tensor t = params[i].second;
      t.mutable_grad() = accumulated[i];
    }
  };
  zeroGrad();
  try {
    StagedLoss loss = stageLoss(batch, request);
    loss.backward(at::ones_like(loss.value));
    LossAndGradients out;
    out.loss = loss.value.item<double>();
    for (const auto& [name, t] : params) {
      at::Tensor g = t.grad().defined() ? t.grad() : at::zeros_like(t);
      out.gradients.emplace_back(name, g.detach().to(at::kCPU, at::kFloat).contiguous());
    }
    restore();
    return out;
  } catch (const c10::OutOfMemoryError&) {
    restore();
    rethrowOom(batch);
  } catch (...) {
    restore();
    throw;
  }
}

double SentenceEncoder::evaluationLoss(const LossBatch& request) {
  TORCH_CHECK(spec_, "configureTraining must be called before evaluationLoss (it sets the loss)");
  PackedBatch batch = pack(request.texts);
  try {
    c10::InferenceMode inference;
    return stageLoss(batch, request, /*training=*/false).value.item<double>();
  } catch (const c10::OutOfMemoryError&) {
    rethrowOom(batch);
  }
}

void SentenceEncoder::saveTrainingState(const std::string& path) const {
  TORCH_CHECK(optimizer_, "configureTraining must be called before saveTrainingState");
  TensorMap state = optimizer_->state();
  {
    at::Generator cpu = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(cpu.mutex());
    state["rng.cpu"] = cpu.get_state();
  }
  if (device_.is_cuda()) {
    at::Generator cuda = cudaGenerator(device_);
    std::lock_guard<std::mutex> lock(cuda.mutex());
    state["rng.cuda"] = cuda.get_state();
  }
  state["grad_scaler.scale"] = at::full({}, scaler_.scale(), at::kFloat);
  // A loss's own parameters are not in the saved model (as in sentence-transformers): they resume from here.
  for (const auto& [name, t] : lossParams_) state[name] = t.detach().to(at::kCPU).contiguous();
  writeSafetensors(path, state);
}

void SentenceEncoder::loadTrainingState(const std::string& path) {
  TORCH_CHECK(optimizer_, "configureTraining must be called before loadTrainingState");
  TensorMap state = readSafetensors(path);
  auto cpuState = state.find("rng.cpu");
  TORCH_CHECK(cpuState != state.end() && cpuState->second.scalar_type() == at::kByte, path, ": missing rng.cpu (U8)");
  for (const auto& [name, t] : lossParams_) {
    auto saved = state.find(name);
    TORCH_CHECK(saved != state.end(), path, ": missing ", name, ", a parameter of the loss (was the checkpoint trained with another loss?)");
    TORCH_CHECK(saved->second.sizes() == t.sizes(), path, ": ", name, " has shape ", saved->second.sizes(), " but the loss has ", t.sizes());
  }
  optimizer_->loadState(state, path);
  {
    at::NoGradGuard noGrad;
    for (auto& [name, t] : lossParams_) t.copy_(state.at(name));
  }
  {
    at::Generator cpu = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(cpu.mutex());
    cpu.set_state(cpuState->second);
  }
  auto cudaState = state.find("rng.cuda");
  if (device_.is_cuda() && cudaState != state.end()) {
    at::Generator cuda = cudaGenerator(device_);
    std::lock_guard<std::mutex> lock(cuda.mutex());
    cuda.set_state(cudaState->second);
  }
  auto scale = state.find("grad_scaler.scale");
  if (scale != state.end()) scaler_.setScale(scale->second.item<double>());
}

}  // namespace embedforge
