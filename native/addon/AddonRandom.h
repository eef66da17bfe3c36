// The JS class TorchGenerator (lib/binding/AddonTypes.ts): a CpuGenerator for the batch samplers.
// Its calls run synchronously on the JS thread: a sampler draws one permutation of the dataset's rows
// per epoch (some 40 ms per million rows), which does not pay for a worker thread and a Promise.
// dispose() drops the generator at once; later calls throw.
#pragma once
#include <napi.h>

#include <memory>

#include "Random.h"

namespace embedforge::addon {

class AddonTorchGenerator : public Napi::ObjectWrap<AddonTorchGenerator> {
 public:
  static Napi::Function Define(Napi::Env env);
  explicit AddonTorchGenerator(const Napi::CallbackInfo& info);

 private:
  Napi::Value ManualSeed(const Napi::CallbackInfo& info);
  Napi::Value Randperm(const Napi::CallbackInfo& info);
  Napi::Value Dispose(const Napi::CallbackInfo& info);
  CpuGenerator& Live(const Napi::CallbackInfo& info, const char* method) const;

  std::unique_ptr<CpuGenerator> generator_;
};

}  // namespace embedforge::addon
