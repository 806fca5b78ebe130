// src/gateway/gateway.cpp with its anonymous request checks exposed (see shims.hpp). path_matches is public.
#include "gateway/gateway.cpp"  // NOLINT(bugprone-suspicious-include)

#include "shims.hpp"

namespace tg::fuzz {
bool gateway_suspicious_path(std::string_view path) {
  return gateway::suspicious_path(path);
}
std::string gateway_presented_key(const http::Request& req) {
  return gateway::presented_key(req);
}
bool gateway_drop_request_header(std::string_view name) {
  return gateway::drop_request_header(name);
}
}  // namespace tg::fuzz

TG_FUZZ_GC_ANCHOR(gateway)
