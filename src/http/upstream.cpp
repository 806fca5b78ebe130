// parse_upstream on its own: the admin catalog's validation (and its fuzz harness) needs it without the client's
// Beast/TLS machinery, the most expensive file of the build to compile.
#include <charconv>

#include "http/client.hpp"

namespace tg::http {

Result<Upstream> parse_upstream(std::string_view url) {
  Upstream u;
  if (url.rfind("https://", 0) == 0) {
    u.tls = true;
    u.port = 443;
    url.remove_prefix(8);
  } else if (url.rfind("http://", 0) == 0) {
    url.remove_prefix(7);
  } else {
    return Error::of(ErrorCode::BadRequest, "upstream must be an http:// or https:// URL");
  }
  // The path becomes the prefix of every proxied request-target: no spaces or control characters, or an admin
  // could split requests towards the upstream (found by fuzzing).
  for (unsigned char c : url)
    if (c <= 0x20 || c == 0x7f)
      return Error::of(ErrorCode::BadRequest, "upstream URL must not contain spaces or control characters");
  const auto slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  if (slash != std::string_view::npos) u.base_path = std::string(url.substr(slash));
  while (!u.base_path.empty() && u.base_path.back() == '/') u.base_path.pop_back();
  const auto colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    unsigned port = 0;
    auto [p, ec] = std::from_chars(authority.data() + colon + 1, authority.data() + authority.size(), port);
    if (ec != std::errc() || p != authority.data() + authority.size() || port == 0 || port > 65535) {
      return Error::of(ErrorCode::BadRequest, "upstream port is invalid");
    }
    u.port = static_cast<std::uint16_t>(port);
    authority = authority.substr(0, colon);
  }
  if (authority.empty()) return Error::of(ErrorCode::BadRequest, "upstream host is missing");
  if (authority.find_first_of("@ \t\r\n") != std::string_view::npos)
    return Error::of(ErrorCode::BadRequest, "upstream host is invalid");
  u.host = std::string(authority);
  return u;
}

}  // namespace tg::http
