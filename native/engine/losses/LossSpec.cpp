// Typed access to a loss spec's options (LossSpec.h).
#include "LossSpec.h"

#include <c10/util/Exception.h>

#include <cmath>

namespace embedforge {

LossSpec::LossSpec(JsonValue json) : json_(std::move(json)) {
  TORCH_CHECK(json_.kind == JsonValue::Kind::Object, "a loss spec must be an object {name, ...options}");
  const JsonValue* n = json_.find("name");
  TORCH_CHECK(n && n->kind == JsonValue::Kind::String, "a loss spec needs a string \"name\"");
  name_ = n->string;
}

const JsonValue& LossSpec::get(const std::string& key, JsonValue::Kind kind, const char* type) const {
  const JsonValue* v = json_.find(key);
  TORCH_CHECK(v && v->kind == kind, name_, ": option \"", key, "\" must be ", type);
  return *v;
}

bool LossSpec::has(const std::string& key) const {
  const JsonValue* v = json_.find(key);
  return v && v->kind != JsonValue::Kind::Null;
}

double LossSpec::number(const std::string& key) const {
  double v = get(key, JsonValue::Kind::Number, "a number").number;
  TORCH_CHECK(std::isfinite(v), name_, ": option \"", key, "\" must be finite, got ", v);
  return v;
}

int64_t LossSpec::integer(const std::string& key) const {
  double v = number(key);
  TORCH_CHECK(v == std::floor(v), name_, ": option \"", key, "\" must be an integer, got ", v);
  return static_cast<int64_t>(v);
}

bool LossSpec::boolean(const std::string& key) const { return get(key, JsonValue::Kind::Bool, "a boolean").boolean; }

std::string LossSpec::string(const std::string& key) const { return get(key, JsonValue::Kind::String, "a string").string; }

std::vector<double> LossSpec::numbers(const std::string& key) const {
  const JsonValue& arr = get(key, JsonValue::Kind::Array, "an array of numbers");
  std::vector<double> out;
  for (const JsonValue& e : arr.array) {
    TORCH_CHECK(e.kind == JsonValue::Kind::Number && std::isfinite(e.number), name_, ": option \"", key,
                "\" must hold finite numbers only");
    out.push_back(e.number);
  }
  return out;
}

std::vector<std::string> LossSpec::strings(const std::string& key) const {
  const JsonValue& arr = get(key, JsonValue::Kind::Array, "an array of strings");
  std::vector<std::string> out;
  for (const JsonValue& e : arr.array) {
    TORCH_CHECK(e.kind == JsonValue::Kind::String, name_, ": option \"", key, "\" must hold strings only");
    out.push_back(e.string);
  }
  return out;
}

std::map<std::string, std::vector<double>> LossSpec::numberLists(const std::string& key) const {
  const JsonValue& obj = get(key, JsonValue::Kind::Object, "an object of number lists");
  std::map<std::string, std::vector<double>> out;
  for (const auto& [name, arr] : obj.object) {
    TORCH_CHECK(arr.kind == JsonValue::Kind::Array, name_, ": option \"", key, "\" entry \"", name, "\" must be an array of numbers");
    for (const JsonValue& e : arr.array) {
      TORCH_CHECK(e.kind == JsonValue::Kind::Number && std::isfinite(e.number), name_, ": option \"", key, "\" entry \"", name,
                  "\" must hold finite numbers only");
      out[name].push_back(e.number);
    }
  }
  return out;
}

LossSpec LossSpec::spec(const std::string& key) const { return LossSpec(get(key, JsonValue::Kind::Object, "a loss spec")); }

}  // namespace embedforge
