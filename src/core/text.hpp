#pragma once
#include <charconv>
#include <cstdint>
#include <string>

namespace tg {

// ASCII case folding for protocol text (header names, tokens, media types). No locale lookup per byte: the hot
// path folds every header name of every request. Equal to std::tolower in the C locale the server runs in.
constexpr char lower_ascii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + ('a' - 'A')) : c;
}
inline void to_lower_ascii(std::string& s) {
  for (auto& c : s) c = lower_ascii(c);
}

// Appends the decimal form of `v` (no snprintf: spool lines and verify answers are built per call).
inline void append_int(std::string& out, std::int64_t v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

}  // namespace tg
