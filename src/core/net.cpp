#include "core/net.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace tg::net {

std::optional<IpAddr> parse_ip(std::string_view text) {
  if (text.empty() || text.size() > 45) return std::nullopt;
  std::string s(text);
  IpAddr out;
  in_addr v4{};
  if (inet_pton(AF_INET, s.c_str(), &v4) == 1) {
    out.bytes[10] = 0xff;
    out.bytes[11] = 0xff;
    std::memcpy(out.bytes.data() + 12, &v4, 4);
    return out;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, s.c_str(), &v6) == 1) {
    std::memcpy(out.bytes.data(), &v6, 16);
    return out;
  }
  return std::nullopt;
}

std::optional<Cidr> parse_cidr(std::string_view text) {
  auto slash = text.find('/');
  auto ip = parse_ip(text.substr(0, slash));
  if (!ip) return std::nullopt;
  bool v4 = text.substr(0, slash).find(':') == std::string_view::npos;
  int max = v4 ? 32 : 128;
  int prefix = max;
  if (slash != std::string_view::npos) {
    auto p = text.substr(slash + 1);
    auto [ptr, ec] = std::from_chars(p.data(), p.data() + p.size(), prefix);
    if (ec != std::errc{} || ptr != p.data() + p.size() || prefix < 0 || prefix > max) return std::nullopt;
  }
  return Cidr{*ip, v4 ? prefix + 96 : prefix};
}

bool contains(const Cidr& cidr, const IpAddr& ip) {
  int bits = cidr.prefix;
  for (int i = 0; i < 16 && bits > 0; ++i, bits -= 8) {
    std::uint8_t mask = bits >= 8 ? 0xff : static_cast<std::uint8_t>(0xff << (8 - bits));
    if ((cidr.base.bytes[i] & mask) != (ip.bytes[i] & mask)) return false;
  }
  return true;
}

}  // namespace tg::net
