// Each method copies its JS arguments on the main thread, then hands the tensor work to a worker.
#include "AddonNativeEncoder.h"

#include <cmath>

#include "Convert.h"
#include "PromiseWorker.h"

namespace embedforge::addon {

Napi::Function AddonNativeEncoder::Define(Napi::Env env) {
  return DefineClass(env, "NativeEncoder",
                     {
                         InstanceAccessor<&AddonNativeEncoder::EmbeddingDim>("embeddingDim"),
                         InstanceMethod<&AddonNativeEncoder::ParameterNames>("parameterNames"),
                         InstanceMethod<&AddonNativeEncoder::LoadWeights>("loadWeights"),
                         InstanceMethod<&AddonNativeEncoder::InitWeights>("initWeights"),
                         InstanceMethod<&AddonNativeEncoder::SaveWeights>("saveWeights"),
                         InstanceMethod<&AddonNativeEncoder::Encode>("encode"),
                         InstanceMethod<&AddonNativeEncoder::ConfigureTraining>("configureTraining"),
                         InstanceMethod<&AddonNativeEncoder::TrainStep>("trainStep"),
                         InstanceMethod<&AddonNativeEncoder::LossAndGradients>("lossAndGradients"),
                         InstanceMethod<&AddonNativeEncoder::EvaluationLoss>("evaluationLoss"),
                         InstanceMethod<&AddonNativeEncoder::SaveTrainingState>("saveTrainingState"),
                         InstanceMethod<&AddonNativeEncoder::LoadTrainingState>("loadTrainingState"),
                     });
}

AddonNativeEncoder::AddonNativeEncoder(const Napi::CallbackInfo& info) : Napi::ObjectWrap<AddonNativeEncoder>(info) {
  EncoderOptions options = readEncoderOptions(info[0]);
  encoder_ = callSync(info.Env(), [&] { return std::make_shared<SentenceEncoder>(options); });
}

Napi::Promise AddonNativeEncoder::Run(const Napi::CallbackInfo& info,
                                      std::function<std::function<Napi::Value(Napi::Env)>()> work) {
  return PromiseWorker::Start(info.Env(), std::move(work), mutex_, info.This().As<Napi::Object>());
}

std::string AddonNativeEncoder::PathArg(const Napi::CallbackInfo& info, const char* method) {
  if (!info[0].IsString()) throw Napi::TypeError::New(info.Env(), std::string(method) + ": path must be a string");
  return info[0].As<Napi::String>().Utf8Value();
}

Napi::Value AddonNativeEncoder::EmbeddingDim(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), static_cast<double>(encoder_->embeddingDim()));
}

Napi::Value AddonNativeEncoder::ParameterNames(const Napi::CallbackInfo& info) {
  auto names = encoder_->parameterNames();
  Napi::Array out = Napi::Array::New(info.Env(), names.size());
  for (size_t i = 0; i < names.size(); ++i) out.Set(static_cast<uint32_t>(i), names[i]);
  return out;
}

Napi::Value AddonNativeEncoder::LoadWeights(const Napi::CallbackInfo& info) {
  std::string path = PathArg(info, "loadWeights");
  auto enc = encoder_;
  return Run(info, [enc, path] {
    enc->loadWeights(path);
    return PromiseWorker::Finish();
  });
}

Napi::Value AddonNativeEncoder::InitWeights(const Napi::CallbackInfo& info) {
  if (!info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "initWeights: seed must be a number");
  const double seed = info[0].As<Napi::Number>().DoubleValue();
  if (!(seed >= 0) || seed != std::floor(seed)) throw Napi::Error::New(info.Env(), "initWeights: seed must be a non-negative integer");
  auto enc = encoder_;
  return Run(info, [enc, seed] {
    enc->initWeights(static_cast<uint64_t>(seed));
    return PromiseWorker::Finish();
  });
}

Napi::Value AddonNativeEncoder::SaveWeights(const Napi::CallbackInfo& info) {
  std::string path = PathArg(info, "saveWeights");
  auto enc = encoder_;
  return Run(info, [enc, path] {
    enc->saveWeights(path);
    return PromiseWorker::Finish();
  });
}

Napi::Value AddonNativeEncoder::Encode(const Napi::CallbackInfo& info) {
  auto texts = std::make_shared<PackedTexts>(readPackedTexts(info[0], "texts"));
  auto enc = encoder_;
  return Run(info, [enc, texts]() -> PromiseWorker::Finish {
    at::Tensor out = enc->encode(*texts);
    return [out](Napi::Env env) -> Napi::Value { return toFloat32Array(env, out); };
  });
}

Napi::Value AddonNativeEncoder::ConfigureTraining(const Napi::CallbackInfo& info) {
  TrainingSpec spec = readTrainingSpec(info[0]);
  // Synchronous by the interface; it waits for a running worker of this encoder to finish first.
  std::lock_guard<std::mutex> guard(*mutex_);
  callSync(info.Env(), [&] { encoder_->configureTraining(spec); });
  return info.Env().Undefined();
}

Napi::Value AddonNativeEncoder::TrainStep(const Napi::CallbackInfo& info) {
  auto request = std::make_shared<TrainStepRequest>(readTrainStepRequest(info[0]));
  auto enc = encoder_;
  return Run(info, [enc, request]() -> PromiseWorker::Finish {
    TrainStepResult r = enc->trainStep(*request);
    return [r](Napi::Env env) -> Napi::Value {
      Napi::Object o = Napi::Object::New(env);
      o.Set("loss", r.loss);
      o.Set("gradNorm", r.gradNorm);
      return o;
    };
  });
}

Napi::Value AddonNativeEncoder::LossAndGradients(const Napi::CallbackInfo& info) {
  auto batch = std::make_shared<LossBatch>(readLossBatch(info[0], "lossAndGradients batch"));
  auto enc = encoder_;
  return Run(info, [enc, batch]() -> PromiseWorker::Finish {
    auto result = std::make_shared<embedforge::LossAndGradients>(enc->lossAndGradients(*batch));
    return [result](Napi::Env env) -> Napi::Value {
      Napi::Object grads = Napi::Object::New(env);
      for (const auto& [name, g] : result->gradients) grads.Set(name, toFloat32Array(env, g));
      Napi::Object o = Napi::Object::New(env);
      o.Set("loss", result->loss);
      o.Set("gradients", grads);
      return o;
    };
  });
}

Napi::Value AddonNativeEncoder::EvaluationLoss(const Napi::CallbackInfo& info) {
  auto batch = std::make_shared<LossBatch>(readLossBatch(info[0], "evaluationLoss batch"));
  auto enc = encoder_;
  return Run(info, [enc, batch]() -> PromiseWorker::Finish {
    const double loss = enc->evaluationLoss(*batch);
    return [loss](Napi::Env env) -> Napi::Value { return Napi::Number::New(env, loss); };
  });
}

Napi::Value AddonNativeEncoder::SaveTrainingState(const Napi::CallbackInfo& info) {
  std::string path = PathArg(info, "saveTrainingState");
  auto enc = encoder_;
  return Run(info, [enc, path] {
    enc->saveTrainingState(path);
    return PromiseWorker::Finish();
  });
}

Napi::Value AddonNativeEncoder::LoadTrainingState(const Napi::CallbackInfo& info) {
  std::string path = PathArg(info, "loadTrainingState");
  auto enc = encoder_;
  return Run(info, [enc, path] {
    enc->loadTrainingState(path);
    return PromiseWorker::Finish();
  });
}

}  // namespace embedforge::addon
