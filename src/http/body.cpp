#include "http/body.hpp"

#include <algorithm>

namespace tg::http {

bool valid_utf8(std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  std::size_t n = s.size(), i = 0;
  while (i < n) {
    unsigned char c = p[i];
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len;
    std::uint32_t cp;
    if ((c & 0xE0) == 0xC0)
      len = 2, cp = c & 0x1F;
    else if ((c & 0xF0) == 0xE0)
      len = 3, cp = c & 0x0F;
    else if ((c & 0xF8) == 0xF0)
      len = 4, cp = c & 0x07;
    else
      return false;
    if (i + len > n) return false;
    for (std::size_t k = 1; k < len; ++k) {
      if ((p[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    // Overlong forms, surrogates and out-of-range code points.
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

Result<nlohmann::json> json_object_body(const Request& req, std::initializer_list<std::string_view> allowed) {
  const std::string* ct = req.header("content-type");
  std::string media = ct ? *ct : "";
  media = media.substr(0, media.find(';'));
  std::transform(media.begin(), media.end(), media.begin(), ::tolower);
  while (!media.empty() && media.back() == ' ') media.pop_back();
  bool is_json = media == "application/json" || (media.size() > 5 && media.compare(media.size() - 5, 5, "+json") == 0);
  if (!is_json) {
    return Error::of(ErrorCode::UnsupportedMediaType, "Send the body as application/json.");
  }
  if (!valid_utf8(req.body)) return Error::of(ErrorCode::InvalidUtf8, "The request body is not valid UTF-8.");
  if (!json_depth_within(req.body, kMaxJsonDepth))
    return Error::of(ErrorCode::MalformedJson, "The request body nests deeper than 64 levels.");
  auto parsed = nlohmann::json::parse(req.body, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded()) return Error::of(ErrorCode::MalformedJson, "The request body is not valid JSON.");
  if (!parsed.is_object()) {
    Error e = Error::of(ErrorCode::ValidationFailed, "The request body must be a JSON object.");
    e.fields.push_back({"", "must be an object"});
    return e;
  }
  if (allowed.size() > 0) {
    Error e = Error::of(ErrorCode::ValidationFailed, "The request body has unknown fields.");
    for (auto it = parsed.begin(); it != parsed.end(); ++it) {
      if (std::find(allowed.begin(), allowed.end(), std::string_view(it.key())) == allowed.end()) {
        e.fields.push_back({it.key(), "unknown field"});
      }
    }
    if (!e.fields.empty()) return e;
  }
  return parsed;
}

std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;  // count every byte that starts a code point
  return n;
}

std::string Validator::string(const char* field, bool required, std::size_t min_len, std::size_t max_len) {
  auto it = obj_.find(field);
  if (it == obj_.end() || it->is_null()) {
    if (required) fail(field, "is required");
    return {};
  }
  if (!it->is_string()) {
    fail(field, "must be a string");
    return {};
  }
  const auto& s = it->get_ref<const std::string&>();
  const std::size_t chars = utf8_length(s);  // limits are in characters, as in the contract and the database
  if (chars < min_len)
    fail(field, min_len == 1 ? "must not be empty" : "must be at least " + std::to_string(min_len) + " characters");
  else if (chars > max_len)
    fail(field, "must be at most " + std::to_string(max_len) + " characters");
  return s;
}

Error Validator::error() const {
  Error e = Error::of(ErrorCode::ValidationFailed, "One or more fields are invalid.");
  e.fields = errors_;
  return e;
}

bool json_depth_within(std::string_view text, int max_depth) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;  // the escaped character cannot end the string
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_depth) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

}  // namespace tg::http
