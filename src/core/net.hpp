#pragma once
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tg::net {

struct IpAddr {
  std::array<std::uint8_t, 16> bytes{};  // IPv4 stored as ::ffff:a.b.c.d
};
std::optional<IpAddr> parse_ip(std::string_view text);

struct Cidr {
  IpAddr base;
  int prefix = 128;  // in IPv6 bits (IPv4 prefixes are stored +96)
};
std::optional<Cidr> parse_cidr(std::string_view text);
bool contains(const Cidr& cidr, const IpAddr& ip);

}  // namespace tg::net
