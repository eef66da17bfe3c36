// model_type -> Encoder (EncoderFactory.h). Adding an architecture: one row in kArchitectures.
#include "EncoderFactory.h"

#include <c10/util/Exception.h>

#include "BertConfig.h"
#include "BertEncoder.h"
#include "Json.h"
#include "ModernBertConfig.h"
#include "ModernBertEncoder.h"
#include "MPNetEncoder.h"

namespace embedforge {

namespace {

struct Architecture {
  const char* modelType;
  const char* family;              // how the error message names it
  const char* architecturePrefix;  // "architectures" entries of this family start so, for configs without model_type
  std::unique_ptr<Encoder> (*create)(const std::string& configJson, at::Device device);
};

std::unique_ptr<Encoder> createBert(const std::string& configJson, at::Device device) {
  return std::make_unique<BertEncoder>(BertConfig::fromJson(configJson), device);
}

std::unique_ptr<Encoder> createRoberta(const std::string& configJson, at::Device device) {
  return std::make_unique<BertEncoder>(BertConfig::robertaFromJson(configJson), device);
}

std::unique_ptr<Encoder> createModernBert(const std::string& configJson, at::Device device) {
  return std::make_unique<ModernBertEncoder>(ModernBertConfig::fromJson(configJson), device);
}

const std::vector<Architecture> kArchitectures = {
    {"bert", "BERT-family", "Bert", createBert},
    {"roberta", "RoBERTa", "Roberta", createRoberta},
    {"xlm-roberta", "XLM-RoBERTa", "XLMRoberta", createRoberta},
    {"modernbert", "ModernBERT", "ModernBert", createModernBert},
    {"mpnet", "MPNet", "MPNet", [](const std::string& json, at::Device device) -> std::unique_ptr<Encoder> {
       return std::make_unique<MPNetEncoder>(MPNetConfig::fromJson(json), device);
     }},
};

std::string supportedList() {
  std::string s;
  for (size_t i = 0; i < kArchitectures.size(); ++i) {
    if (i > 0) s += i + 1 == kArchitectures.size() ? " and " : ", ";
    s += std::string(kArchitectures[i].family) + " models (model_type \"" + kArchitectures[i].modelType + "\")";
  }
  return s;
}

}  // namespace

std::vector<std::string> supportedModelTypes() {
  std::vector<std::string> out;
  for (const auto& a : kArchitectures) out.emplace_back(a.modelType);
  return out;
}

std::unique_ptr<Encoder> createEncoder(const std::string& configJson, at::Device device) {
  const JsonValue root = parseJson(configJson, "config.json");
  TORCH_CHECK(root.kind == JsonValue::Kind::Object, "config.json must be a JSON object");
  const JsonValue* modelType = root.find("model_type");
  std::string described = "(no model_type)";
  if (modelType && modelType->kind != JsonValue::Kind::Null) {
    TORCH_CHECK(modelType->kind == JsonValue::Kind::String, "config.json: model_type must be a string");
    described = modelType->string;
    for (const auto& a : kArchitectures) {
      if (described == a.modelType) return a.create(configJson, device);
    }
  } else {
    const JsonValue* archs = root.find("architectures");
    if (archs && archs->kind == JsonValue::Kind::Array && !archs->array.empty() && archs->array[0].kind == JsonValue::Kind::String) {
      described = archs->array[0].string;
      for (const auto& a : kArchitectures) {
        if (described.rfind(a.architecturePrefix, 0) == 0) return a.create(configJson, device);
      }
    }
  }
  TORCH_CHECK(false, "unsupported architecture ", described, ": embedforge supports ", supportedList());
}

EncoderConfig readEncoderConfig(const std::string& configJson) {
  return createEncoder(configJson, at::Device(at::kMeta))->encoderConfig();
}

}  // namespace embedforge
