// Recursive-descent JSON parser: strict enough for the files we read, with bounded nesting depth.
#include "Json.h"

#include <cmath>
#include <cstdio>
#include <stdexcept>

namespace embedforge {

const JsonValue* JsonValue::find(const std::string& key) const {
  if (kind != Kind::Object) return nullptr;
  auto it = object.find(key);
  return it == object.end() ? nullptr : &it->second;
}

namespace {

class Parser {
 public:
  Parser(const std::string& text, const std::string& what) : s_(text), what_(what) {}

  JsonValue parseDocument() {
    JsonValue v = parseValue(0);
    skipSpace();
    if (pos_ != s_.size()) fail("trailing characters after the JSON value");
    return v;
  }

 private:
  const std::string& s_;
  const std::string& what_;
  size_t pos_ = 0;

  [[noreturn]] void fail(const std::string& reason) const {
    throw std::runtime_error(what_ + ": invalid JSON (" + reason + ") at offset " + std::to_string(pos_));
  }
  void skipSpace() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\n' || s_[pos_] == '\r' || s_[pos_] == '\t')) ++pos_;
  }
  char peek() {
    skipSpace();
    if (pos_ >= s_.size()) fail("unexpected end of text");
    return s_[pos_];
  }
  void expect(char c) {
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++pos_;
  }
  bool consumeLiteral(const char* lit) {
    size_t n = std::char_traits<char>::length(lit);
    if (s_.compare(pos_, n, lit) == 0) { pos_ += n; return true; }
    return false;
  }

  JsonValue parseValue(int depth) {
    if (depth > 64) fail("nesting deeper than 64");
    char c = peek();
    JsonValue v;
    if (c == '{') {
      v.kind = JsonValue::Kind::Object;
      ++pos_;
      if (peek() == '}') { ++pos_; return v; }
      while (true) {
        if (peek() != '"') fail("expected a string key");
        std::string key = parseString();
        expect(':');
        v.object[key] = parseValue(depth + 1);
        char d = peek();
        ++pos_;
        if (d == '}') break;
        if (d != ',') fail("expected ',' or '}'");
      }
    } else if (c == '[') {
      v.kind = JsonValue::Kind::Array;
      ++pos_;
      if (peek() == ']') { ++pos_; return v; }
      while (true) {
        v.array.push_back(parseValue(depth + 1));
        char d = peek();
        ++pos_;
        if (d == ']') break;
        if (d != ',') fail("expected ',' or ']'");
      }
    } else if (c == '"') {
      v.kind = JsonValue::Kind::String;
      v.string = parseString();
    } else if (consumeLiteral("true")) {
      v.kind = JsonValue::Kind::Bool; v.boolean = true;
    } else if (consumeLiteral("false")) {
      v.kind = JsonValue::Kind::Bool;
    } else if (consumeLiteral("null")) {
      v.kind = JsonValue::Kind::Null;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      parseNumber(v);
    } else if (consumeLiteral("NaN")) {  // Python's json.dumps writes these
      v.kind = JsonValue::Kind::Number; v.number = NAN;
    } else if (consumeLiteral("Infinity")) {
      v.kind = JsonValue::Kind::Number; v.number = INFINITY;
    } else {
      // A control or non-ASCII byte is shown as its code, so the message stays one readable line.
      const auto byte = static_cast<unsigned char>(c);
      char code[8];
      std::snprintf(code, sizeof code, "0x%02x", byte);
      fail(byte >= 0x20 && byte < 0x7f ? std::string("unexpected character '") + c + "'" : std::string("unexpected byte ") + code);
    }
    return v;
  }

  void parseNumber(JsonValue& v) {
    size_t start = pos_;
    if (s_[pos_] == '-') ++pos_;
    if (consumeLiteral("Infinity")) { v.kind = JsonValue::Kind::Number; v.number = -INFINITY; return; }
    bool integral = true;
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c >= '0' && c <= '9') { ++pos_; continue; }
      if (c == '.' || c == 'e' || c == 'E' || c == '+' || (c == '-' && pos_ > start)) { integral = false; ++pos_; continue; }
      break;
    }
    std::string text = s_.substr(start, pos_ - start);
    if (text.empty() || text == "-") fail("malformed number");
    v.kind = JsonValue::Kind::Number;
    try {
      v.number = std::stod(text);
      if (integral && text.size() <= 18) { v.isInteger = true; v.integer = std::stoll(text); }
    } catch (const std::exception&) {
      fail("malformed number '" + text + "'");
    }
  }

  void appendUtf8(std::string& out, uint32_t cp) {
    if (cp < 0x80) out += char(cp);
    else if (cp < 0x800) { out += char(0xC0 | (cp >> 6)); out += char(0x80 | (cp & 0x3F)); }
    else if (cp < 0x10000) { out += char(0xE0 | (cp >> 12)); out += char(0x80 | ((cp >> 6) & 0x3F)); out += char(0x80 | (cp & 0x3F)); }
    else { out += char(0xF0 | (cp >> 18)); out += char(0x80 | ((cp >> 12) & 0x3F)); out += char(0x80 | ((cp >> 6) & 0x3F)); out += char(0x80 | (cp & 0x3F)); }
  }

  uint32_t parseHex4() {
    if (pos_ + 4 > s_.size()) fail("truncated \\u escape");
    uint32_t cp = 0;
    for (int i = 0; i < 4; ++i) {
      char h = s_[pos_++];
      cp <<= 4;
      if (h >= '0' && h <= '9') cp |= h - '0';
      else if (h >= 'a' && h <= 'f') cp |= h - 'a' + 10;
      else if (h >= 'A' && h <= 'F') cp |= h - 'A' + 10;
      else fail("bad \\u escape");
    }
    return cp;
  }

  std::string parseString() {
    ++pos_;  // opening quote
    std::string out;
    while (true) {
      if (pos_ >= s_.size()) fail("unterminated string");
      char c = s_[pos_++];
      if (c == '"') break;
      // JSON forbids raw control characters in strings (Python's json and serde refuse them too).
      if (static_cast<unsigned char>(c) < 0x20) { --pos_; fail("control character in a string"); }
      if (c != '\\') { out += c; continue; }
      if (pos_ >= s_.size()) fail("unterminated escape");
      char e = s_[pos_++];
      switch (e) {
        case '"': out += '"'; break;
        case '\\': out += '\\'; break;
        case '/': out += '/'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          uint32_t cp = parseHex4();
          if (cp >= 0xD800 && cp < 0xDC00 && consumeLiteral("\\u")) {
            uint32_t lo = parseHex4();
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          }
          appendUtf8(out, cp);
          break;
        }
        default: fail("bad escape");
      }
    }
    return out;
  }
};

}  // namespace

JsonValue parseJson(const std::string& text, const std::string& what) { return Parser(text, what).parseDocument(); }

std::string jsonQuote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

}  // namespace embedforge
