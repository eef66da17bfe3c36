// Conversions with errors that name the field and the expected type.
#include "Convert.h"

#include <c10/util/Exception.h>

#include <cmath>
#include <cstring>
#include <stdexcept>

namespace embedforge::addon {

namespace {

Napi::Error typeError(const Napi::Env& env, const std::string& msg) { return Napi::TypeError::New(env, msg); }

}  // namespace

Napi::Object requireObject(const Napi::Value& v, const std::string& what) {
  if (!v.IsObject()) throw typeError(v.Env(), what + " must be an object");
  return v.As<Napi::Object>();
}

std::string requireString(const Napi::Object& o, const char* key, const std::string& what) {
  Napi::Value v = o.Get(key);
  if (!v.IsString()) throw typeError(o.Env(), what + "." + key + " must be a string");
  return v.As<Napi::String>().Utf8Value();
}

double requireNumber(const Napi::Object& o, const char* key, const std::string& what) {
  Napi::Value v = o.Get(key);
  if (!v.IsNumber()) throw typeError(o.Env(), what + "." + key + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

bool requireBool(const Napi::Object& o, const char* key, const std::string& what) {
  Napi::Value v = o.Get(key);
  if (!v.IsBoolean()) throw typeError(o.Env(), what + "." + key + " must be a boolean");
  return v.As<Napi::Boolean>().Value();
}

namespace {

template <typename T, napi_typedarray_type Kind>
std::vector<T> readTyped(const Napi::Value& v, const std::string& what, const char* typeName) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != Kind) {
    throw typeError(v.Env(), what + " must be a " + typeName);
  }
  auto arr = v.As<Napi::TypedArrayOf<T>>();
  std::vector<T> out(arr.ElementLength());
  if (!out.empty()) std::memcpy(out.data(), arr.Data(), out.size() * sizeof(T));
  return out;
}

}  // namespace

JsonValue readJson(const Napi::Value& v, const std::string& what, int depth) {
  if (depth > 32) throw typeError(v.Env(), what + " is nested too deeply");
  JsonValue out;
  if (v.IsNull() || v.IsUndefined()) return out;
  if (v.IsBoolean()) {
    out.kind = JsonValue::Kind::Bool;
    out.boolean = v.As<Napi::Boolean>().Value();
  } else if (v.IsNumber()) {
    out.kind = JsonValue::Kind::Number;
    out.number = v.As<Napi::Number>().DoubleValue();
  } else if (v.IsString()) {
    out.kind = JsonValue::Kind::String;
    out.string = v.As<Napi::String>().Utf8Value();
  } else if (v.IsArray()) {
    out.kind = JsonValue::Kind::Array;
    auto arr = v.As<Napi::Array>();
    for (uint32_t i = 0; i < arr.Length(); ++i) out.array.push_back(readJson(arr.Get(i), what + "[" + std::to_string(i) + "]", depth + 1));
  } else if (v.IsObject() && !v.IsTypedArray() && !v.IsFunction()) {
    out.kind = JsonValue::Kind::Object;
    Napi::Object o = v.As<Napi::Object>();
    Napi::Array keys = o.GetPropertyNames();
    for (uint32_t i = 0; i < keys.Length(); ++i) {
      std::string key = keys.Get(i).As<Napi::String>().Utf8Value();
      Napi::Value value = o.Get(key);
      if (value.IsUndefined()) continue;
      out.object[key] = readJson(value, what + "." + key, depth + 1);
    }
  } else {
    throw typeError(v.Env(), what + " must be plain data (numbers, strings, booleans, arrays, objects)");
  }
  return out;
}

PackedTexts readPackedTexts(const Napi::Value& v, const std::string& what) {
  Napi::Object o = requireObject(v, what);
  PackedTexts t;
  t.inputIds = readTyped<int32_t, napi_int32_array>(o.Get("inputIds"), what + ".inputIds", "Int32Array");
  t.cuSeqlens = readTyped<int32_t, napi_int32_array>(o.Get("cuSeqlens"), what + ".cuSeqlens", "Int32Array");
  return t;
}

std::vector<float> readFloat32Array(const Napi::Value& v, const std::string& what) {
  return readTyped<float, napi_float32_array>(v, what, "Float32Array");
}

EncoderOptions readEncoderOptions(const Napi::Value& v) {
  Napi::Object o = requireObject(v, "EncoderOptions");
  EncoderOptions out;
  out.configJson = requireString(o, "configJson", "EncoderOptions");
  out.pooling = callSync(v.Env(), [&] { return poolingModeFromName(requireString(o, "pooling", "EncoderOptions")); });
  out.normalize = requireBool(o, "normalize", "EncoderOptions");
  out.device = requireString(o, "device", "EncoderOptions");
  return out;
}

TrainingSpec readTrainingSpec(const Napi::Value& v) {
  Napi::Object o = requireObject(v, "TrainingSpec");
  TrainingSpec spec;
  Napi::Value losses = o.Get("losses");
  if (!losses.IsArray()) throw Napi::TypeError::New(v.Env(), "TrainingSpec.losses must be an array of loss specs");
  for (uint32_t i = 0; i < losses.As<Napi::Array>().Length(); ++i) {
    const std::string what = "TrainingSpec.losses[" + std::to_string(i) + "]";
    spec.losses.push_back(readJson(requireObject(losses.As<Napi::Array>().Get(i), what), what));
  }
  Napi::Object opt = requireObject(o.Get("optimizer"), "TrainingSpec.optimizer");
  spec.optimizer.weightDecay = requireNumber(opt, "weightDecay", "TrainingSpec.optimizer");
  spec.optimizer.beta1 = requireNumber(opt, "beta1", "TrainingSpec.optimizer");
  spec.optimizer.beta2 = requireNumber(opt, "beta2", "TrainingSpec.optimizer");
  spec.optimizer.eps = requireNumber(opt, "eps", "TrainingSpec.optimizer");
  // The name and the other optimizers' hyperparameters are optional: absent, AdamW with torch's defaults.
  auto optionalNumber = [&](const char* key, double& out) {
    if (!opt.Get(key).IsUndefined()) out = requireNumber(opt, key, "TrainingSpec.optimizer");
  };
  auto optionalBool = [&](const char* key, bool& out) {
    if (!opt.Get(key).IsUndefined()) out = requireBool(opt, key, "TrainingSpec.optimizer");
  };
  if (!opt.Get("name").IsUndefined()) spec.optimizer.name = requireString(opt, "name", "TrainingSpec.optimizer");
  optionalNumber("momentum", spec.optimizer.momentum);
  optionalNumber("dampening", spec.optimizer.dampening);
  optionalBool("nesterov", spec.optimizer.nesterov);
  optionalNumber("lrDecay", spec.optimizer.lrDecay);
  optionalNumber("alpha", spec.optimizer.alpha);
  optionalBool("centered", spec.optimizer.centered);
  spec.precision = callSync(v.Env(), [&] { return precisionFromName(requireString(o, "precision", "TrainingSpec")); });
  spec.tf32 = requireBool(o, "tf32", "TrainingSpec");
  if (!o.Get("gradientCheckpointing").IsUndefined()) spec.gradientCheckpointing = requireBool(o, "gradientCheckpointing", "TrainingSpec");
  return spec;
}

LossBatch readLossBatch(const Napi::Value& v, const std::string& what) {
  Napi::Object o = requireObject(v, what);
  LossBatch b;
  b.texts = readPackedTexts(o.Get("texts"), what + ".texts");
  const double columns = requireNumber(o, "numColumns", what);
  if (!(columns >= 1) || columns != std::floor(columns)) {
    throw Napi::TypeError::New(v.Env(), what + ".numColumns must be a positive integer");
  }
  b.numColumns = static_cast<int64_t>(columns);
  Napi::Value labels = o.Get("labels");
  if (!labels.IsUndefined() && !labels.IsNull()) b.labels = readFloat32Array(labels, what + ".labels");
  Napi::Value lossIndex = o.Get("lossIndex");
  if (!lossIndex.IsUndefined()) {
    if (!lossIndex.IsNumber()) throw Napi::TypeError::New(v.Env(), what + ".lossIndex must be a number");
    b.lossIndex = lossIndex.As<Napi::Number>().Int64Value();
  }
  return b;
}

TrainStepRequest readTrainStepRequest(const Napi::Value& v) {
  Napi::Object o = requireObject(v, "TrainStepRequest");
  TrainStepRequest r;
  r.batch = readLossBatch(v, "TrainStepRequest");
  r.lossDivisor = requireNumber(o, "lossDivisor", "TrainStepRequest");
  r.optimizerStep = requireBool(o, "optimizerStep", "TrainStepRequest");
  r.learningRate = requireNumber(o, "learningRate", "TrainStepRequest");
  r.maxGradNorm = requireNumber(o, "maxGradNorm", "TrainStepRequest");
  return r;
}

Napi::Float32Array toFloat32Array(Napi::Env env, const at::Tensor& t) {
  at::Tensor c = t.to(at::kCPU, at::kFloat).contiguous();
  auto arr = Napi::Float32Array::New(env, static_cast<size_t>(c.numel()));
  if (c.numel() > 0) std::memcpy(arr.Data(), c.data_ptr<float>(), c.numel() * sizeof(float));
  return arr;
}

Napi::Int32Array toInt32Array(Napi::Env env, const at::Tensor& t) {
  at::Tensor c = t.to(at::kCPU, at::kInt).contiguous();
  auto arr = Napi::Int32Array::New(env, static_cast<size_t>(c.numel()));
  if (c.numel() > 0) std::memcpy(arr.Data(), c.data_ptr<int32_t>(), c.numel() * sizeof(int32_t));
  return arr;
}

std::string currentExceptionMessage() {
  try {
    throw;
  } catch (const c10::Error& e) {
    return e.what_without_backtrace();
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "unknown native error";
  }
}

}  // namespace embedforge::addon
