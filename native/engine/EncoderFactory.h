// config.json -> the Encoder of its architecture, chosen by model_type (or, without one, by the first
// "architectures" entry). The one place that knows every supported architecture.
#pragma once
#include <c10/core/Device.h>

#include <memory>
#include <string>
#include <vector>

#include "Encoder.h"

namespace embedforge {

/** Throws naming an unsupported model_type and listing the supported ones. */
std::unique_ptr<Encoder> createEncoder(const std::string& configJson, at::Device device);

/** What createEncoder's encoder would report as its config, without allocating its weights (they live on the meta device). */
EncoderConfig readEncoderConfig(const std::string& configJson);
std::vector<std::string> supportedModelTypes();

}  // namespace embedforge
