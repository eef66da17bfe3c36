// Reading config.json fields the way every architecture's config does: transformers' default when a key is absent
// or null, and an error naming the key and the value when it has the wrong type or range.
#pragma once
#include <cstdint>
#include <string>

#include "Json.h"

namespace embedforge {

int64_t intField(const JsonValue& root, const char* key, int64_t fallback, int64_t minimum);
double numberField(const JsonValue& root, const char* key, double fallback);
bool boolField(const JsonValue& root, const char* key, bool fallback);
std::string stringField(const JsonValue& root, const char* key, const std::string& fallback);
/** A dropout probability in [0, 1). */
double dropoutField(const JsonValue& root, const char* key, double fallback);

/** True when the config names the architecture: model_type equal to modelType or, without a model_type, an
 *  "architectures" entry starting with architecturePrefix. `described` receives what the config names, for errors. */
bool namesArchitecture(const JsonValue& root, const std::string& modelType, const std::string& architecturePrefix, std::string& described);

}  // namespace embedforge
