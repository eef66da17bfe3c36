// Module entry: exports exactly the Addon interface of lib/binding/AddonTypes.ts.
#include <napi.h>

#include <cmath>

#include "EngineThread.h"
#include "AddonNativeEncoder.h"
#include "AddonRandom.h"
#include "Convert.h"
#include "DeviceInfo.h"
#include "EncoderFactory.h"
#include "ProcessExit.h"
#include "PromiseWorker.h"
#include "Search.h"

namespace embedforge::addon {

namespace {

Napi::Value ManualSeed(const Napi::CallbackInfo& info) {
  if (!info[0].IsNumber()) throw Napi::TypeError::New(info.Env(), "manualSeed: seed must be a number");
  const double seed = info[0].As<Napi::Number>().DoubleValue();
  if (!(seed >= 0) || seed != std::floor(seed)) throw Napi::Error::New(info.Env(), "manualSeed: seed must be a non-negative integer");
  callSync(info.Env(), [&] { manualSeed(static_cast<uint64_t>(seed)); });
  return info.Env().Undefined();
}

Napi::Value SupportedModelTypes(const Napi::CallbackInfo& info) {
  const std::vector<std::string> types = supportedModelTypes();
  Napi::Array out = Napi::Array::New(info.Env(), types.size());
  for (size_t i = 0; i < types.size(); ++i) out.Set(static_cast<uint32_t>(i), types[i]);
  return out;
}

Napi::Value GetDeviceInfo(const Napi::CallbackInfo& info) {
  DeviceInfo d = callSync(info.Env(), [] { return deviceInfo(); });
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("cudaAvailable", d.cudaAvailable);
  o.Set("cudaDeviceCount", static_cast<double>(d.cudaDeviceCount));
  o.Set("cudaDeviceName", d.cudaDeviceName);
  o.Set("bf16Supported", d.bf16Supported);
  o.Set("torchVersion", d.torchVersion);
  o.Set("torchCudaVersion", d.torchCudaVersion);
  Napi::Object kernels = Napi::Object::New(info.Env());
  for (const auto& [name, registered] : d.cudaKernels) kernels.Set(name, registered);
  o.Set("cudaKernels", kernels);
  return o;
}

/** A Float32Array's elements, read in place (no copy on the JS thread); the caller keeps the array alive. */
std::pair<float*, size_t> float32View(const Napi::Value& v, const char* what) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_float32_array) {
    throw Napi::TypeError::New(v.Env(), std::string("searchTopK: ") + what + " must be a Float32Array");
  }
  auto arr = v.As<Napi::Float32Array>();
  return {arr.Data(), arr.ElementLength()};
}

// searchTopK(queries, corpus, dim, k, similarity, device): the arrays are read in place on the worker thread
// (pinned until it finishes), so a large corpus is not copied on the JS thread. Do not modify them meanwhile.
Napi::Value SearchTopK(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const std::pair<float*, size_t> queryView = float32View(info[0], "queries"), corpusView = float32View(info[1], "corpus");
  float* queries = queryView.first;
  float* corpus = corpusView.first;
  const size_t querySize = queryView.second, corpusSize = corpusView.second;
  if (!info[2].IsNumber() || !info[3].IsNumber()) throw Napi::TypeError::New(env, "searchTopK: dim and k must be numbers");
  const int64_t dim = info[2].As<Napi::Number>().Int64Value();
  const int64_t k = info[3].As<Napi::Number>().Int64Value();
  if (!info[4].IsString() || !info[5].IsString()) throw Napi::TypeError::New(env, "searchTopK: similarity and device must be strings");
  const std::string similarity = info[4].As<Napi::String>().Utf8Value();
  const std::string deviceName = info[5].As<Napi::String>().Utf8Value();
  if (similarity != "cosine" && similarity != "dot") throw Napi::Error::New(env, "searchTopK: unsupported similarity \"" + similarity + "\" (cosine, dot)");
  if (dim < 1) throw Napi::Error::New(env, "searchTopK: dim must be >= 1, got " + std::to_string(dim));
  if (querySize % dim != 0 || corpusSize % dim != 0) {
    throw Napi::Error::New(env, "searchTopK: queries (" + std::to_string(querySize) + " floats) and corpus (" +
                                    std::to_string(corpusSize) + " floats) must be multiples of dim " + std::to_string(dim));
  }
  Napi::Array pinned = Napi::Array::New(env, 2);
  pinned.Set(0u, info[0]);
  pinned.Set(1u, info[1]);
  return PromiseWorker::Start(env, [=]() -> PromiseWorker::Finish {
    at::Device device = parseDevice(deviceName);
    const int64_t nq = static_cast<int64_t>(querySize) / dim, nc = static_cast<int64_t>(corpusSize) / dim;
    at::Tensor q = at::from_blob(queries, {nq, dim}, at::kFloat);
    at::Tensor c = at::from_blob(corpus, {nc, dim}, at::kFloat);
    auto [indices, scores] = searchTopK(q, c, k, similarity == "cosine", device);
    const int64_t kk = indices.size(1);
    return [indices, scores, kk](Napi::Env env) -> Napi::Value {
      Napi::Object o = Napi::Object::New(env);
      o.Set("indices", toInt32Array(env, indices));
      o.Set("scores", toFloat32Array(env, scores));
      o.Set("k", static_cast<double>(kk));
      return o;
    };
  }, nullptr, pinned);
}

// LibTorch's intra-op thread count on the engine thread (waits for the call in progress there, if any).
Napi::Value EngineThreads(const Napi::CallbackInfo& info) {
  try {
    return Napi::Number::New(info.Env(), engineThreadCount());
  } catch (...) {
    throw Napi::Error::New(info.Env(), currentExceptionMessage());
  }
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  skipStaticDestructorsAtExit();
  exports.Set("NativeEncoder", AddonNativeEncoder::Define(env));
  exports.Set("TorchGenerator", AddonTorchGenerator::Define(env));
  exports.Set("manualSeed", Napi::Function::New(env, ManualSeed, "manualSeed"));
  exports.Set("supportedModelTypes", Napi::Function::New(env, SupportedModelTypes, "supportedModelTypes"));
  exports.Set("deviceInfo", Napi::Function::New(env, GetDeviceInfo, "deviceInfo"));
  exports.Set("searchTopK", Napi::Function::New(env, SearchTopK, "searchTopK"));
  exports.Set("engineThreads", Napi::Function::New(env, EngineThreads, "engineThreads"));
  return exports;
}

}  // namespace

}  // namespace embedforge::addon

// NODE_API_MODULE pastes the function name into an identifier, so it needs an unqualified one.
static Napi::Object InitEmbedforge(Napi::Env env, Napi::Object exports) { return embedforge::addon::Init(env, exports); }

NODE_API_MODULE(embedforge, InitEmbedforge)
