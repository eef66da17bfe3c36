// The JS class NativeEncoder (lib/binding/AddonTypes.ts): a SentenceEncoder behind Promise methods.
// Made by the static NativeEncoder.create(options), which allocates the weights on a worker thread; the
// constructor only adopts an encoder made there. dispose() frees it (weights, optimizer state, CUDA
// cache) without waiting for the garbage collector; every later call throws "this model was disposed".
#pragma once
#include <napi.h>

#include <memory>
#include <mutex>

#include "SentenceEncoder.h"

namespace embedforge::addon {

class AddonNativeEncoder : public Napi::ObjectWrap<AddonNativeEncoder> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit AddonNativeEncoder(const Napi::CallbackInfo& info);

 private:
  static Napi::Value Create(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  Napi::Value Disposed(const Napi::CallbackInfo& info);
  /** The encoder, or a thrown "this model was disposed" error naming the method. */
  std::shared_ptr<SentenceEncoder> Live(const Napi::CallbackInfo& info, const char* method) const;
  Napi::Value EmbeddingDim(const Napi::CallbackInfo& info);
  Napi::Value ParameterNames(const Napi::CallbackInfo& info);
  Napi::Value LoadWeights(const Napi::CallbackInfo& info);
  Napi::Value InitWeights(const Napi::CallbackInfo& info);
  Napi::Value SaveWeights(const Napi::CallbackInfo& info);
  Napi::Value Encode(const Napi::CallbackInfo& info);
  Napi::Value ConfigureTraining(const Napi::CallbackInfo& info);
  Napi::Value TrainStep(const Napi::CallbackInfo& info);
  Napi::Value LossAndGradients(const Napi::CallbackInfo& info);
  Napi::Value EvaluationLoss(const Napi::CallbackInfo& info);
  Napi::Value SaveTrainingState(const Napi::CallbackInfo& info);
  Napi::Value LoadTrainingState(const Napi::CallbackInfo& info);

  /** Runs work on a worker thread under this encoder's mutex. */
  Napi::Promise Run(const Napi::CallbackInfo& info, std::function<std::function<Napi::Value(Napi::Env)>()> work);
  std::string PathArg(const Napi::CallbackInfo& info, const char* method);

  std::shared_ptr<SentenceEncoder> encoder_;
  bool onCuda_ = false;
  std::shared_ptr<std::mutex> mutex_ = std::make_shared<std::mutex>();
};

}  // namespace embedforge::addon
