// Each method copies its JS arguments on the main thread, then hands the tensor work to a worker.
#include "AddonNativeEncoder.h"

#include <ATen/DeviceAccelerator.h>

#include <cmath>

#include "Convert.h"
#include "PromiseWorker.h"

namespace embedforge::addon {

Napi::Function AddonNativeEncoder::Define(Napi::Env env) {
  Napi::Function ctor = DefineClass(env, "NativeEncoder",
                     {
                         StaticMethod<&AddonNativeEncoder::Create>("create"),
                         InstanceMethod<&AddonNativeEncoder::Dispose>("dispose"),
                         InstanceAccessor<&AddonNativeEncoder::Disposed>("disposed"),
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
  // create() builds instances after its worker finishes; the constructor lives as long as the addon's env.
  env.SetInstanceData<Napi::FunctionReference>(new Napi::FunctionReference(Napi::Persistent(ctor)));
  return ctor;
}

namespace {

/** What create() hands the constructor: an encoder built on a worker thread, and where it lives. */
struct CreatedEncoder {
  std::shared_ptr<SentenceEncoder> encoder;
  bool onCuda;
};

}  // namespace

AddonNativeEncoder::AddonNativeEncoder(const Napi::CallbackInfo& info) : Napi::ObjectWrap<AddonNativeEncoder>(info) {
  if (info.Length() != 1 || !info[0].IsExternal()) {
    throw Napi::TypeError::New(info.Env(), "NativeEncoder: use `await NativeEncoder.create(options)` (the weights are allocated off the JS thread)");
  }
  auto* created = info[0].As<Napi::External<CreatedEncoder>>().Data();
  if (!created->encoder) throw Napi::Error::New(info.Env(), "NativeEncoder: this encoder was already adopted by another object");
  encoder_ = std::move(created->encoder);
  onCuda_ = created->onCuda;
}

// create(options): options are read here; the weights are allocated on a worker thread.
Napi::Value AddonNativeEncoder::Create(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::shared_ptr<EncoderOptions> options;
  try {
    options = std::make_shared<EncoderOptions>(readEncoderOptions(info[0]));
  } catch (const Napi::Error& e) {
    return PromiseWorker::Rejected(env, e);
  }
  return PromiseWorker::Start(env, [options]() -> PromiseWorker::Finish {
    auto created = std::make_shared<CreatedEncoder>(CreatedEncoder{std::make_shared<SentenceEncoder>(*options), false});
    created->onCuda = options->device.rfind("cuda", 0) == 0;
    return [created](Napi::Env env) -> Napi::Value {
      Napi::FunctionReference* ctor = env.GetInstanceData<Napi::FunctionReference>();
      return ctor->New({Napi::External<CreatedEncoder>::New(env, created.get())});
    };
  });
}

std::shared_ptr<SentenceEncoder> AddonNativeEncoder::Live(const Napi::CallbackInfo& info, const char* method) const {
  if (!encoder_) throw Napi::Error::New(info.Env(), std::string("NativeEncoder.") + method + ": this model was disposed");
  return encoder_;
}

Napi::Value AddonNativeEncoder::Disposed(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), !encoder_);
}

// dispose(): later calls throw at once; the memory goes when the running call (if any) has finished.
Napi::Value AddonNativeEncoder::Dispose(const Napi::CallbackInfo& info) {
  if (!encoder_) return PromiseWorker::Start(info.Env(), [] { return PromiseWorker::Finish(); });
  auto enc = std::move(encoder_);
  const bool onCuda = onCuda_;
  return Run(info, [enc = std::move(enc), onCuda]() mutable {
    enc.reset();
    if (onCuda) at::accelerator::emptyCache();  // the caching allocator's now-free blocks go back to the device
    return PromiseWorker::Finish();
  });
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
  return Napi::Number::New(info.Env(), static_cast<double>(Live(info, "embeddingDim")->embeddingDim()));
}

Napi::Value AddonNativeEncoder::ParameterNames(const Napi::CallbackInfo& info) {
  auto names = Live(info, "parameterNames")->parameterNames();
  Napi::Array out = Napi::Array::New(info.Env(), names.size());
  for (size_t i = 0; i < names.size(); ++i) out.Set(static_cast<uint32_t>(i), names[i]);
  return out;
}

Napi::Value AddonNativeEncoder::LoadWeights(const Napi::CallbackInfo& info) {
  std::string path = PathArg(info, "loadWeights");
  auto enc = Live(info, "loadWeights");
  return Run(info, [enc, path] {
    enc->loadWeights(path);
    return PromiseWorker::Finish();
  });
}

Napi::Value AddonNativeEncoder::InitWeights(const Napi::CallbackInfo& info) {
  if (!info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "initWeights: seed must be a number");
  const double seed = info[0].As<Napi::Number>().DoubleValue();
  if (!(seed >= 0) || seed != std::floor(seed)) throw Napi::Error::New(info.Env(), "initWeights: seed must be a non-negative integer");
  auto enc = Live(info, "initWeights");
  return Run(info, [enc, seed] {
    enc->initWeights(static_cast<uint64_t>(seed));
    return PromiseWorker::Finish();
  });
}

Napi::Value AddonNativeEncoder::SaveWeights(const Napi::CallbackInfo& info) {
  std::string path = PathArg(info, "saveWeights");
  auto enc = Live(info, "saveWeights");
  return Run(info, [enc, path] {
    enc->saveWeights(path);
    return PromiseWorker::Finish();
  });
}

Napi::Value AddonNativeEncoder::Encode(const Napi::CallbackInfo& info) {
  auto texts = std::make_shared<PackedTexts>(readPackedTexts(info[0], "texts"));
  auto enc = Live(info, "encode");
  return Run(info, [enc, texts]() -> PromiseWorker::Finish {
    at::Tensor out = enc->encode(*texts);
    return [out](Napi::Env env) -> Napi::Value { return toFloat32Array(env, out); };
  });
}

// A Promise: it waits for this encoder's running call under the lock on a worker thread, not on the JS thread.
Napi::Value AddonNativeEncoder::ConfigureTraining(const Napi::CallbackInfo& info) {
  auto enc = Live(info, "configureTraining");
  std::shared_ptr<TrainingSpec> spec;
  try {
    spec = std::make_shared<TrainingSpec>(readTrainingSpec(info[0]));
  } catch (const Napi::Error& e) {
    return PromiseWorker::Rejected(info.Env(), e);
  }
  return Run(info, [enc, spec] {
    enc->configureTraining(*spec);
    return PromiseWorker::Finish();
  });
}

Napi::Value AddonNativeEncoder::TrainStep(const Napi::CallbackInfo& info) {
  auto request = std::make_shared<TrainStepRequest>(readTrainStepRequest(info[0]));
  auto enc = Live(info, "trainStep");
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
  auto enc = Live(info, "lossAndGradients");
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
  auto enc = Live(info, "evaluationLoss");
  return Run(info, [enc, batch]() -> PromiseWorker::Finish {
    const double loss = enc->evaluationLoss(*batch);
    return [loss](Napi::Env env) -> Napi::Value { return Napi::Number::New(env, loss); };
  });
}

Napi::Value AddonNativeEncoder::SaveTrainingState(const Napi::CallbackInfo& info) {
  std::string path = PathArg(info, "saveTrainingState");
  auto enc = Live(info, "saveTrainingState");
  return Run(info, [enc, path] {
    enc->saveTrainingState(path);
    return PromiseWorker::Finish();
  });
}

Napi::Value AddonNativeEncoder::LoadTrainingState(const Napi::CallbackInfo& info) {
  std::string path = PathArg(info, "loadTrainingState");
  auto enc = Live(info, "loadTrainingState");
  return Run(info, [enc, path] {
    enc->loadTrainingState(path);
    return PromiseWorker::Finish();
  });
}

}  // namespace embedforge::addon
