// A loss as configured from TypeScript: the JSON form of lib/binding/AddonTypes.ts' LossSpec union
// ({name, ...options}, a modifier's inner loss under "loss"), with typed accessors whose errors name
// the loss and the option. Defaults live in TypeScript (lib/losses/); here every option is required.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "Json.h"

namespace embedforge {

class LossSpec {
 public:
  explicit LossSpec(JsonValue json);

  const std::string& name() const { return name_; }
  /** Whether an optional option is present (and not null). */
  bool has(const std::string& key) const;
  double number(const std::string& key) const;
  int64_t integer(const std::string& key) const;
  bool boolean(const std::string& key) const;
  std::string string(const std::string& key) const;
  std::vector<double> numbers(const std::string& key) const;
  std::vector<std::string> strings(const std::string& key) const;
  /** An object of number lists ({name: [numbers]}), e.g. a loss's own parameters given by name. */
  std::map<std::string, std::vector<double>> numberLists(const std::string& key) const;
  /** A nested loss spec (a modifier's inner loss). */
  LossSpec spec(const std::string& key) const;

 private:
  const JsonValue& get(const std::string& key, JsonValue::Kind kind, const char* type) const;
  JsonValue json_;
  std::string name_;
};

}  // namespace embedforge
