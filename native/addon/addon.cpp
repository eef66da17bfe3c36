// Module entry: exports exactly the Addon interface of lib/binding/AddonTypes.ts.
#include <napi.h>

#include <cmath>

#include "AddonNativeEncoder.h"
#include "AddonRandom.h"
#include "Convert.h"
#include "DeviceInfo.h"
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

Napi::Value GetDeviceInfo(const Napi::CallbackInfo& info) {
  DeviceInfo d = callSync(info.Env(), [] { return deviceInfo(); });
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("cudaAvailable", d.cudaAvailable);
  o.Set("cudaDeviceCount", static_cast<double>(d.cudaDeviceCount));
  o.Set("cudaDeviceName", d.cudaDeviceName);
  o.Set("bf16Supported", d.bf16Supported);
  o.Set("torchVersion", d.torchVersion);
  return o;
}

// searchTopK(queries, corpus, dim, k, similarity, device)
Napi::Value SearchTopK(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto queries = std::make_shared<std::vector<float>>(readFloat32Array(info[0], "queries"));
  auto corpus = std::make_shared<std::vector<float>>(readFloat32Array(info[1], "corpus"));
  if (!info[2].IsNumber() || !info[3].IsNumber()) throw Napi::TypeError::New(env, "searchTopK: dim and k must be numbers");
  const int64_t dim = info[2].As<Napi::Number>().Int64Value();
  const int64_t k = info[3].As<Napi::Number>().Int64Value();
  if (!info[4].IsString() || !info[5].IsString()) throw Napi::TypeError::New(env, "searchTopK: similarity and device must be strings");
  const std::string similarity = info[4].As<Napi::String>().Utf8Value();
  const std::string deviceName = info[5].As<Napi::String>().Utf8Value();
  if (similarity != "cosine" && similarity != "dot") throw Napi::Error::New(env, "searchTopK: unsupported similarity \"" + similarity + "\" (cosine, dot)");
  if (dim < 1) throw Napi::Error::New(env, "searchTopK: dim must be >= 1, got " + std::to_string(dim));
  if (queries->size() % dim != 0 || corpus->size() % dim != 0) {
    throw Napi::Error::New(env, "searchTopK: queries (" + std::to_string(queries->size()) + " floats) and corpus (" +
                                    std::to_string(corpus->size()) + " floats) must be multiples of dim " + std::to_string(dim));
  }
  return PromiseWorker::Start(env, [=]() -> PromiseWorker::Finish {
    at::Device device = parseDevice(deviceName);
    const int64_t nq = static_cast<int64_t>(queries->size()) / dim, nc = static_cast<int64_t>(corpus->size()) / dim;
    at::Tensor q = at::from_blob(queries->data(), {nq, dim}, at::kFloat);
    at::Tensor c = at::from_blob(corpus->data(), {nc, dim}, at::kFloat);
    auto [indices, scores] = searchTopK(q, c, k, similarity == "cosine", device);
    const int64_t kk = indices.size(1);
    return [indices, scores, kk](Napi::Env env) -> Napi::Value {
      Napi::Object o = Napi::Object::New(env);
      o.Set("indices", toInt32Array(env, indices));
      o.Set("scores", toFloat32Array(env, scores));
      o.Set("k", static_cast<double>(kk));
      return o;
    };
  });
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("NativeEncoder", AddonNativeEncoder::Define(env));
  exports.Set("TorchGenerator", AddonTorchGenerator::Define(env));
  exports.Set("manualSeed", Napi::Function::New(env, ManualSeed, "manualSeed"));
  exports.Set("deviceInfo", Napi::Function::New(env, GetDeviceInfo, "deviceInfo"));
  exports.Set("searchTopK", Napi::Function::New(env, SearchTopK, "searchTopK"));
  return exports;
}

}  // namespace

}  // namespace embedforge::addon

// NODE_API_MODULE pastes the function name into an identifier, so it needs an unqualified one.
static Napi::Object InitEmbedforge(Napi::Env env, Napi::Object exports) { return embedforge::addon::Init(env, exports); }

NODE_API_MODULE(embedforge, InitEmbedforge)
