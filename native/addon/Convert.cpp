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

std::vector<double> readNumberArray(const Napi::Value& v, const std::string& what) {
  if (!v.IsArray()) throw typeError(v.Env(), what + " must be an array of numbers");
  auto arr = v.As<Napi::Array>();
  std::vector<double> out;
  for (uint32_t i = 0; i < arr.Length(); ++i) {
    Napi::Value e = arr.Get(i);
    if (!e.IsNumber()) throw typeError(v.Env(), what + "[" + std::to_string(i) + "] must be a number");
    out.push_back(e.As<Napi::Number>().DoubleValue());
  }
  return out;
}

}  // namespace

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
  Napi::Object loss = requireObject(o.Get("loss"), "TrainingSpec.loss");
  const std::string name = requireString(loss, "name", "TrainingSpec.loss");
  if (name == "MultipleNegativesSymmetricRankingLoss") spec.loss.symmetric = true;
  else if (name != "MultipleNegativesRankingLoss") {
    throw Napi::Error::New(v.Env(), "unsupported loss \"" + name +
                                        "\" (supported: MultipleNegativesRankingLoss, MultipleNegativesSymmetricRankingLoss)");
  }
  spec.loss.scale = requireNumber(loss, "scale", "TrainingSpec.loss");
  const std::string sim = requireString(loss, "similarity", "TrainingSpec.loss");
  if (sim != "cosine" && sim != "dot") throw Napi::Error::New(v.Env(), "unsupported similarity \"" + sim + "\" (cosine, dot)");
  spec.loss.cosine = sim == "cosine";
  Napi::Value m = loss.Get("matryoshka");
  if (!m.IsUndefined() && !m.IsNull()) {
    Napi::Object mo = requireObject(m, "TrainingSpec.loss.matryoshka");
    for (double d : readNumberArray(mo.Get("dims"), "TrainingSpec.loss.matryoshka.dims")) {
      if (d != std::floor(d)) throw Napi::Error::New(v.Env(), "matryoshka dims must be integers, got " + std::to_string(d));
      spec.loss.matryoshkaDims.push_back(static_cast<int64_t>(d));
    }
    spec.loss.matryoshkaWeights = readNumberArray(mo.Get("weights"), "TrainingSpec.loss.matryoshka.weights");
  }
  Napi::Object opt = requireObject(o.Get("optimizer"), "TrainingSpec.optimizer");
  spec.optimizer.weightDecay = requireNumber(opt, "weightDecay", "TrainingSpec.optimizer");
  spec.optimizer.beta1 = requireNumber(opt, "beta1", "TrainingSpec.optimizer");
  spec.optimizer.beta2 = requireNumber(opt, "beta2", "TrainingSpec.optimizer");
  spec.optimizer.eps = requireNumber(opt, "eps", "TrainingSpec.optimizer");
  spec.precision = callSync(v.Env(), [&] { return precisionFromName(requireString(o, "precision", "TrainingSpec")); });
  spec.tf32 = requireBool(o, "tf32", "TrainingSpec");
  return spec;
}

TrainStepRequest readTrainStepRequest(const Napi::Value& v) {
  Napi::Object o = requireObject(v, "TrainStepRequest");
  TrainStepRequest r;
  r.texts = readPackedTexts(o.Get("texts"), "TrainStepRequest.texts");
  r.numColumns = static_cast<int64_t>(requireNumber(o, "numColumns", "TrainStepRequest"));
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
