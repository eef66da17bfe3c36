// JS <-> C++ conversion in one place: typed arrays, option objects, and errors (engine exceptions
// become JS Errors carrying the engine's message without the C++ backtrace).
#pragma once
#include <ATen/ATen.h>
#include <napi.h>

#include <functional>
#include <string>
#include <vector>

#include "Json.h"
#include "PackedBatch.h"
#include "SentenceEncoder.h"

namespace embedforge::addon {

Napi::Object requireObject(const Napi::Value& v, const std::string& what);
std::string requireString(const Napi::Object& o, const char* key, const std::string& what);
double requireNumber(const Napi::Object& o, const char* key, const std::string& what);
bool requireBool(const Napi::Object& o, const char* key, const std::string& what);

/** {inputIds: Int32Array, cuSeqlens: Int32Array}, copied (the JS buffers may change after the call). */
PackedTexts readPackedTexts(const Napi::Value& v, const std::string& what);
std::vector<float> readFloat32Array(const Napi::Value& v, const std::string& what);

/** Plain JS data (a loss spec) as a JsonValue; undefined properties are left out. */
JsonValue readJson(const Napi::Value& v, const std::string& what, int depth = 0);

EncoderOptions readEncoderOptions(const Napi::Value& v);
LossBatch readLossBatch(const Napi::Value& v, const std::string& what);
TrainingSpec readTrainingSpec(const Napi::Value& v);
TrainStepRequest readTrainStepRequest(const Napi::Value& v);

/** A fp32 CPU tensor copied into a new Float32Array. */
Napi::Float32Array toFloat32Array(Napi::Env env, const at::Tensor& t);
Napi::Int32Array toInt32Array(Napi::Env env, const at::Tensor& t);

/** The message of the exception being handled, without c10's backtrace. */
std::string currentExceptionMessage();

/** Runs fn on the JS thread; an engine exception becomes a thrown JS Error. */
template <typename F>
auto callSync(Napi::Env env, F&& fn) -> decltype(fn()) {
  try {
    return fn();
  } catch (const Napi::Error&) {
    throw;
  } catch (...) {
    throw Napi::Error::New(env, currentExceptionMessage());
  }
}

}  // namespace embedforge::addon
