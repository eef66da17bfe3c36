#include "AddonRandom.h"

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

#include "Convert.h"

namespace embedforge::addon {

namespace {

/** A JS number that is a whole number in [0, max]; the message names the method and argument. */
double requireWhole(const Napi::CallbackInfo& info, size_t index, const char* what, double max) {
  if (!info[index].IsNumber()) throw Napi::TypeError::New(info.Env(), std::string(what) + " must be a number");
  const double v = info[index].As<Napi::Number>().DoubleValue();
  if (!(v >= 0) || v > max || v != std::floor(v)) {
    throw Napi::RangeError::New(info.Env(), std::string(what) + " must be an integer in [0, " + std::to_string(static_cast<int64_t>(max)) +
                                                "], got " + Napi::Number::New(info.Env(), v).ToString().Utf8Value());
  }
  return v;
}

constexpr double kMaxSafeInteger = 9007199254740991.0;  // 2^53 - 1: every such seed is exact in a JS number

}  // namespace

Napi::Function AddonTorchGenerator::Define(Napi::Env env) {
  return DefineClass(env, "TorchGenerator",
                     {
                         InstanceMethod<&AddonTorchGenerator::ManualSeed>("manualSeed"),
                         InstanceMethod<&AddonTorchGenerator::Randperm>("randperm"),
                         InstanceMethod<&AddonTorchGenerator::Dispose>("dispose"),
                     });
}

AddonTorchGenerator::AddonTorchGenerator(const Napi::CallbackInfo& info) : Napi::ObjectWrap<AddonTorchGenerator>(info) {
  generator_ = callSync(info.Env(), [] { return std::make_unique<CpuGenerator>(); });
  if (info.Length() > 0 && !info[0].IsUndefined()) {
    const double seed = requireWhole(info, 0, "TorchGenerator: seed", kMaxSafeInteger);
    callSync(info.Env(), [&] { generator_->manualSeed(static_cast<uint64_t>(seed)); });
  }
}

CpuGenerator& AddonTorchGenerator::Live(const Napi::CallbackInfo& info, const char* method) const {
  if (!generator_) throw Napi::Error::New(info.Env(), std::string("TorchGenerator.") + method + ": this generator was disposed");
  return *generator_;
}

Napi::Value AddonTorchGenerator::Dispose(const Napi::CallbackInfo& info) {
  generator_.reset();
  return info.Env().Undefined();
}

Napi::Value AddonTorchGenerator::ManualSeed(const Napi::CallbackInfo& info) {
  CpuGenerator& generator = Live(info, "manualSeed");
  const double seed = requireWhole(info, 0, "TorchGenerator.manualSeed: seed", kMaxSafeInteger);
  callSync(info.Env(), [&] { generator.manualSeed(static_cast<uint64_t>(seed)); });
  return info.Env().Undefined();
}

Napi::Value AddonTorchGenerator::Randperm(const Napi::CallbackInfo& info) {
  CpuGenerator& generator = Live(info, "randperm");
  // The result is an Int32Array, so n is bounded by int32 (torch uses int32 indices below that too).
  const double n = requireWhole(info, 0, "TorchGenerator.randperm: n", static_cast<double>(std::numeric_limits<int32_t>::max()));
  at::Tensor perm = callSync(info.Env(), [&] { return generator.randperm(static_cast<int64_t>(n)); });
  return toInt32Array(info.Env(), perm);
}

}  // namespace embedforge::addon
