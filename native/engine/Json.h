// A minimal JSON reader for config.json and safetensors headers, and a string escaper for writing.
// Numbers keep both a double and, when integral and in range, an exact int64 (tensor offsets).
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace embedforge {

class JsonValue {
 public:
  enum class Kind { Null, Bool, Number, String, Array, Object };
  Kind kind = Kind::Null;
  bool boolean = false;
  double number = 0;
  bool isInteger = false;
  int64_t integer = 0;
  std::string string;
  std::vector<JsonValue> array;
  std::map<std::string, JsonValue> object;

  bool has(const std::string& key) const { return kind == Kind::Object && object.count(key) > 0; }
  const JsonValue* find(const std::string& key) const;
};

/** Parses text; throws std::runtime_error "<what>: <reason> at offset N" on malformed input. */
JsonValue parseJson(const std::string& text, const std::string& what);

/** A JSON string literal (with quotes) for s. */
std::string jsonQuote(const std::string& s);

}  // namespace embedforge
