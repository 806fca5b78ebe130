#pragma once
#include <cstddef>
#include <string>
#include <string_view>

namespace tg {
// Lower-case hex of raw bytes (digests, random ids).
inline std::string to_hex(const void* data, std::size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  const auto* p = static_cast<const unsigned char*>(data);
  std::string out(n * 2, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kHex[p[i] >> 4];
    out[2 * i + 1] = kHex[p[i] & 15];
  }
  return out;
}
}  // namespace tg
