// config.json field readers shared by the architectures' configs (ConfigFields.h).
#include "ConfigFields.h"

#include <c10/util/Exception.h>

namespace embedforge {

namespace {

bool present(const JsonValue* v) { return v && v->kind != JsonValue::Kind::Null; }

}  // namespace

int64_t intField(const JsonValue& root, const char* key, int64_t fallback, int64_t minimum) {
  const JsonValue* v = root.find(key);
  if (!present(v)) return fallback;
  TORCH_CHECK(v->kind == JsonValue::Kind::Number && v->isInteger, "config.json: ", key, " must be an integer");
  TORCH_CHECK(v->integer >= minimum, "config.json: ", key, " = ", v->integer, " must be >= ", minimum);
  return v->integer;
}

double numberField(const JsonValue& root, const char* key, double fallback) {
  const JsonValue* v = root.find(key);
  if (!present(v)) return fallback;
  TORCH_CHECK(v->kind == JsonValue::Kind::Number, "config.json: ", key, " must be a number");
  return v->number;
}

bool boolField(const JsonValue& root, const char* key, bool fallback) {
  const JsonValue* v = root.find(key);
  if (!present(v)) return fallback;
  TORCH_CHECK(v->kind == JsonValue::Kind::Bool, "config.json: ", key, " must be true or false");
  return v->boolean;
}

std::string stringField(const JsonValue& root, const char* key, const std::string& fallback) {
  const JsonValue* v = root.find(key);
  if (!present(v)) return fallback;
  TORCH_CHECK(v->kind == JsonValue::Kind::String, "config.json: ", key, " must be a string");
  return v->string;
}

double dropoutField(const JsonValue& root, const char* key, double fallback) {
  const double p = numberField(root, key, fallback);
  TORCH_CHECK(p >= 0 && p < 1, "config.json: ", key, " = ", p, " must be in [0, 1)");
  return p;
}

bool namesArchitecture(const JsonValue& root, const std::string& modelType, const std::string& architecturePrefix, std::string& described) {
  const std::string given = stringField(root, "model_type", "");
  if (!given.empty()) {
    described = given;
    return given == modelType;
  }
  const JsonValue* archs = root.find("architectures");
  if (archs && archs->kind == JsonValue::Kind::Array && !archs->array.empty() && archs->array[0].kind == JsonValue::Kind::String) {
    described = archs->array[0].string;
    return described.rfind(architecturePrefix, 0) == 0;
  }
  described = "(no model_type)";
  return false;
}

}  // namespace embedforge
