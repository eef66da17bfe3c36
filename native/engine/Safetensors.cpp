// safetensors reader/writer with full bounds checks on the header (see Safetensors.h).
#include "Safetensors.h"

#include <c10/util/Exception.h>

#include <cstring>
#include <fstream>
#include <limits>

#include "Json.h"

namespace embedforge {

namespace {

struct DtypeInfo {
  at::ScalarType type;
  int64_t size;
};

bool dtypeFromName(const std::string& name, DtypeInfo& out) {
  if (name == "F32") out = {at::kFloat, 4};
  else if (name == "F16") out = {at::kHalf, 2};
  else if (name == "BF16") out = {at::kBFloat16, 2};
  else if (name == "F64") out = {at::kDouble, 8};
  else if (name == "I64") out = {at::kLong, 8};
  else if (name == "I32") out = {at::kInt, 4};
  else if (name == "U8") out = {at::kByte, 1};
  else return false;
  return true;
}

std::string shapeString(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

}  // namespace

TensorMap readSafetensors(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  TORCH_CHECK(in, "cannot open safetensors file ", path);
  const int64_t fileSize = static_cast<int64_t>(in.tellg());
  in.seekg(0);
  TORCH_CHECK(fileSize >= 8, "corrupt safetensors file ", path, ": ", fileSize, " bytes, too short for the 8-byte header length");
  unsigned char lenBytes[8];
  in.read(reinterpret_cast<char*>(lenBytes), 8);
  uint64_t headerLen = 0;
  for (int i = 7; i >= 0; --i) headerLen = (headerLen << 8) | lenBytes[i];
  TORCH_CHECK(headerLen >= 2 && headerLen <= static_cast<uint64_t>(fileSize - 8),
              "corrupt safetensors file ", path, ": header length ", headerLen, " does not fit in a file of ", fileSize, " bytes");
  std::string header(headerLen, '\0');
  in.read(&header[0], static_cast<std::streamsize>(headerLen));
  TORCH_CHECK(in, "corrupt safetensors file ", path, ": cannot read its ", headerLen, "-byte header");
  const int64_t dataStart = 8 + static_cast<int64_t>(headerLen);
  const int64_t dataSize = fileSize - dataStart;

  JsonValue root;
  try {
    root = parseJson(header, "safetensors header of " + path);
  } catch (const std::exception& e) {
    TORCH_CHECK(false, "corrupt safetensors file ", path, ": ", e.what());
  }
  TORCH_CHECK(root.kind == JsonValue::Kind::Object, "corrupt safetensors file ", path, ": the header is not a JSON object");

  TensorMap tensors;
  for (const auto& [name, entry] : root.object) {
    if (name == "__metadata__") continue;
    const std::string where = "corrupt safetensors file " + path + ", tensor '" + name + "': ";
    const JsonValue* dtype = entry.find("dtype");
    const JsonValue* shapeJson = entry.find("shape");
    const JsonValue* offsets = entry.find("data_offsets");
    TORCH_CHECK(dtype && dtype->kind == JsonValue::Kind::String, where, "missing dtype");
    TORCH_CHECK(shapeJson && shapeJson->kind == JsonValue::Kind::Array, where, "missing shape");
    TORCH_CHECK(offsets && offsets->kind == JsonValue::Kind::Array && offsets->array.size() == 2, where, "missing data_offsets");
    DtypeInfo info;
    TORCH_CHECK(dtypeFromName(dtype->string, info), where, "unsupported dtype ", dtype->string,
                " (supported: F32, F16, BF16, F64, I64, I32, U8)");
    std::vector<int64_t> shape;
    int64_t numel = 1;
    for (const auto& d : shapeJson->array) {
      TORCH_CHECK(d.kind == JsonValue::Kind::Number && d.isInteger && d.integer >= 0, where, "shape entries must be non-negative integers");
      TORCH_CHECK(d.integer == 0 || numel <= std::numeric_limits<int64_t>::max() / d.integer, where, "shape overflows");
      shape.push_back(d.integer);
      numel *= d.integer;
    }
    const JsonValue& b = offsets->array[0];
    const JsonValue& e = offsets->array[1];
    TORCH_CHECK(b.kind == JsonValue::Kind::Number && b.isInteger && e.kind == JsonValue::Kind::Number && e.isInteger,
                where, "data_offsets must be integers");
    TORCH_CHECK(0 <= b.integer && b.integer <= e.integer && e.integer <= dataSize, where, "data_offsets [", b.integer, ", ",
                e.integer, "] fall outside the data section of ", dataSize, " bytes (the file is truncated or corrupt)");
    TORCH_CHECK(numel <= std::numeric_limits<int64_t>::max() / info.size && e.integer - b.integer == numel * info.size, where,
                "data_offsets span ", e.integer - b.integer, " bytes but ", dtype->string, " ", shapeString(shape), " needs ",
                numel * info.size);
    at::Tensor t = at::empty(shape, at::TensorOptions().dtype(info.type));
    in.seekg(dataStart + b.integer);
    in.read(static_cast<char*>(t.data_ptr()), static_cast<std::streamsize>(numel * info.size));
    TORCH_CHECK(in, where, "cannot read its data");
    if (at::isFloatingType(info.type) && info.type != at::kFloat) t = t.to(at::kFloat);
    tensors.emplace(name, t);
  }
  return tensors;
}

void writeSafetensors(const std::string& path, const TensorMap& tensors) {
  std::vector<std::pair<std::string, at::Tensor>> prepared;
  std::string header = "{\"__metadata__\":{\"format\":\"pt\"}";
  int64_t offset = 0;
  for (const auto& [name, tensor] : tensors) {
    at::Tensor t = tensor.detach().to(at::kCPU);
    std::string dtype;
    if (at::isFloatingType(t.scalar_type())) { t = t.to(at::kFloat); dtype = "F32"; }
    else if (t.scalar_type() == at::kLong) dtype = "I64";
    else if (t.scalar_type() == at::kInt) dtype = "I32";
    else if (t.scalar_type() == at::kByte) dtype = "U8";
    else TORCH_CHECK(false, "cannot write tensor '", name, "' of type ", t.scalar_type(), " to ", path);
    t = t.contiguous();
    const int64_t bytes = t.numel() * static_cast<int64_t>(t.element_size());
    std::string shape = "[";
    for (int64_t i = 0; i < t.dim(); ++i) shape += (i ? "," : "") + std::to_string(t.size(i));
    shape += "]";
    header += "," + jsonQuote(name) + ":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":[" +
              std::to_string(offset) + "," + std::to_string(offset + bytes) + "]}";
    offset += bytes;
    prepared.emplace_back(name, t);
  }
  header += "}";
  while ((8 + header.size()) % 8 != 0) header += ' ';

  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  TORCH_CHECK(out, "cannot open ", path, " for writing");
  uint64_t len = header.size();
  unsigned char lenBytes[8];
  for (int i = 0; i < 8; ++i) lenBytes[i] = static_cast<unsigned char>((len >> (8 * i)) & 0xFF);
  out.write(reinterpret_cast<const char*>(lenBytes), 8);
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  for (const auto& [name, t] : prepared) {
    out.write(static_cast<const char*>(t.data_ptr()), static_cast<std::streamsize>(t.numel() * t.element_size()));
  }
  out.flush();
  TORCH_CHECK(out, "failed writing ", path, " (disk full?)");
}

}  // namespace embedforge
