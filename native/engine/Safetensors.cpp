// safetensors reader/writer with full bounds checks on the header (see Safetensors.h).
#include "Safetensors.h"

#include <c10/util/Exception.h>

#include <c10/util/accumulate.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <limits>

#include "Json.h"

namespace embedforge {

namespace {

constexpr uint64_t kMaxHeaderBytes = 100000000;

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

/** A tensor name fit for a one-line message: control bytes (a corrupt header can decode to any) as \xNN. */
std::string printable(const std::string& name) {
  std::string out;
  for (unsigned char c : name) {
    if (c >= 0x20 && c != 0x7f) { out += static_cast<char>(c); continue; }
    char code[8];
    std::snprintf(code, sizeof code, "\\x%02x", c);
    out += code;
  }
  return out;
}

/** A JSON integer literal >= 0, as the format's unsigned fields want ("-0" is not one, as for serde). */
bool isCount(const JsonValue& v) {
  return v.kind == JsonValue::Kind::Number && v.isInteger && v.integer >= 0 && !std::signbit(v.number);
}

/** Offset of the first byte that breaks UTF-8 (overlong forms and surrogates included), or -1. */
int64_t invalidUtf8At(const std::string& s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  for (size_t i = 0; i < n;) {
    const unsigned char c = p[i];
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
    if (c < 0x80) { ++i; continue; }
    else if (c >= 0xC2 && c <= 0xDF) len = 2;
    else if (c == 0xE0) { len = 3; lo = 0xA0; }
    else if (c == 0xED) { len = 3; hi = 0x9F; }
    else if (c >= 0xE1 && c <= 0xEF) len = 3;
    else if (c == 0xF0) { len = 4; lo = 0x90; }
    else if (c == 0xF4) { len = 4; hi = 0x8F; }
    else if (c >= 0xF1 && c <= 0xF3) len = 4;
    else return static_cast<int64_t>(i);
    if (i + len > n || p[i + 1] < lo || p[i + 1] > hi) return static_cast<int64_t>(i);
    for (size_t k = 2; k < len; ++k) {
      if (p[i + k] < 0x80 || p[i + k] > 0xBF) return static_cast<int64_t>(i);
    }
    i += len;
  }
  return -1;
}

/** Where one tensor's bytes lie in the data section. */
struct Extent {
  int64_t begin;
  int64_t end;
  std::string name;
};

// The format (and the safetensors crate, which Python's safetensors uses) requires the tensors, ordered
// by offset, to tile the data section exactly: the first starts at 0, each starts where the previous one
// ends, the last ends at the end of the file. Overlaps would alias two tensors' bytes; gaps and trailing
// bytes are data that belongs to no tensor (a corrupt or hand-edited header).
void requireContiguous(std::vector<Extent> extents, int64_t dataSize, const std::string& path) {
  std::sort(extents.begin(), extents.end(), [](const Extent& a, const Extent& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  int64_t expected = 0;
  const Extent* previous = nullptr;
  for (const Extent& x : extents) {
    const std::string where = "corrupt safetensors file " + path + ", tensor '" + printable(x.name) + "': data_offsets [" +
                              std::to_string(x.begin) + ", " + std::to_string(x.end) + "] ";
    TORCH_CHECK(x.begin >= expected, where, "overlap tensor '", previous ? printable(previous->name) : "",
                "' at [", previous ? previous->begin : 0, ", ", expected, "] (the format requires the tensors to tile the data section)");
    TORCH_CHECK(x.begin <= expected, where, "leave a gap of ", x.begin - expected, " bytes after ",
                previous ? "tensor '" + printable(previous->name) + "'" : std::string("the start of the data section"),
                " (the format requires the tensors to tile the data section)");
    expected = x.end;
    previous = &x;
  }
  TORCH_CHECK(expected == dataSize, "corrupt safetensors file ", path, ": the tensors cover ", expected,
              " bytes of the data section but it has ", dataSize, " (", dataSize - expected, " bytes belong to no tensor)");
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
  // The safetensors crate's limit: a header over 100 MB is refused before it is read.
  TORCH_CHECK(headerLen <= kMaxHeaderBytes, "corrupt safetensors file ", path, ": header length ", headerLen,
              " exceeds the format's limit of ", kMaxHeaderBytes, " bytes");
  std::string header(headerLen, '\0');
  in.read(&header[0], static_cast<std::streamsize>(headerLen));
  TORCH_CHECK(in, "corrupt safetensors file ", path, ": cannot read its ", headerLen, "-byte header");
  const int64_t dataStart = 8 + static_cast<int64_t>(headerLen);
  const int64_t dataSize = fileSize - dataStart;

  // As the safetensors crate: the header is UTF-8 JSON, and __metadata__ (optional) maps strings to strings.
  const int64_t badByte = invalidUtf8At(header);
  TORCH_CHECK(badByte < 0, "corrupt safetensors file ", path, ": its header is not valid UTF-8 (byte ", badByte, ")");
  JsonValue root;
  try {
    root = parseJson(header, "its JSON header");
  } catch (const std::exception& e) {
    TORCH_CHECK(false, "corrupt safetensors file ", path, ": ", e.what());
  }
  TORCH_CHECK(root.kind == JsonValue::Kind::Object, "corrupt safetensors file ", path, ": the header is not a JSON object");

  if (const JsonValue* metadata = root.find("__metadata__"); metadata && metadata->kind != JsonValue::Kind::Null) {
    TORCH_CHECK(metadata->kind == JsonValue::Kind::Object, "corrupt safetensors file ", path, ": __metadata__ is not a JSON object");
    for (const auto& [key, value] : metadata->object) {
      TORCH_CHECK(value.kind == JsonValue::Kind::String, "corrupt safetensors file ", path, ": __metadata__ '", printable(key),
                  "' is not a string");
    }
  }

  TensorMap tensors;
  std::vector<Extent> extents;
  for (const auto& [name, entry] : root.object) {
    if (name == "__metadata__") continue;
    const std::string where = "corrupt safetensors file " + path + ", tensor '" + printable(name) + "': ";
    TORCH_CHECK(entry.kind == JsonValue::Kind::Object, where, "its entry is not a JSON object");
    const JsonValue* dtype = entry.find("dtype");
    const JsonValue* shapeJson = entry.find("shape");
    const JsonValue* offsets = entry.find("data_offsets");
    TORCH_CHECK(dtype && dtype->kind == JsonValue::Kind::String, where, "missing dtype");
    TORCH_CHECK(shapeJson && shapeJson->kind == JsonValue::Kind::Array, where, "missing shape");
    TORCH_CHECK(offsets && offsets->kind == JsonValue::Kind::Array && offsets->array.size() == 2, where, "missing data_offsets");
    DtypeInfo info;
    TORCH_CHECK(dtypeFromName(dtype->string, info), where, "unsupported dtype ", printable(dtype->string),
                " (supported: F32, F16, BF16, F64, I64, I32, U8)");
    std::vector<int64_t> shape;
    int64_t numel = 1, nonZeroProduct = 1;  // the second bounds the strides of a tensor with a 0 dimension
    for (const auto& d : shapeJson->array) {
      TORCH_CHECK(isCount(d), where, "shape entries must be non-negative integers");
      TORCH_CHECK(d.integer == 0 || nonZeroProduct <= std::numeric_limits<int64_t>::max() / 8 / d.integer, where,
                  "shape ", shapeString(shape), "... overflows");
      shape.push_back(d.integer);
      numel *= d.integer;
      if (d.integer) nonZeroProduct *= d.integer;
    }
    const JsonValue& b = offsets->array[0];
    const JsonValue& e = offsets->array[1];
    TORCH_CHECK(isCount(b) && isCount(e), where, "data_offsets must be non-negative integers");
    TORCH_CHECK(b.integer <= e.integer, where, "data_offsets [", b.integer, ", ", e.integer, "] end before they begin");
    TORCH_CHECK(0 <= b.integer && e.integer <= dataSize, where, "data_offsets [", b.integer, ", ",
                e.integer, "] fall outside the data section of ", dataSize, " bytes (the file is truncated or corrupt)");
    TORCH_CHECK(numel <= std::numeric_limits<int64_t>::max() / info.size && e.integer - b.integer == numel * info.size, where,
                "data_offsets span ", e.integer - b.integer, " bytes but ", dtype->string, " ", shapeString(shape), " needs ",
                numel * info.size);
    extents.push_back({b.integer, e.integer, name});
  }
  requireContiguous(extents, dataSize, path);

  // Only a header that passed every check decides what is allocated and read.
  for (const auto& [name, entry] : root.object) {
    if (name == "__metadata__") continue;
    const std::string where = "corrupt safetensors file " + path + ", tensor '" + printable(name) + "': ";
    DtypeInfo info;
    dtypeFromName(entry.find("dtype")->string, info);
    std::vector<int64_t> shape;
    for (const auto& d : entry.find("shape")->array) shape.push_back(d.integer);
    const int64_t begin = entry.find("data_offsets")->array[0].integer;
    const int64_t numel = c10::multiply_integers(shape);
    at::Tensor t = at::empty(shape, at::TensorOptions().dtype(info.type));
    in.seekg(dataStart + begin);
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
