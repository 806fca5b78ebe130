#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "core/config.hpp"
#include "core/error.hpp"
#include "http/message.hpp"
#include "ratelimit/rate_limiter.hpp"

// The middleware steps as plain functions, each unit-tested; Pipeline runs them in order.
namespace tg::http {

// X-Request-ID when sane ([A-Za-z0-9._:-]{1,128}), else a fresh random id.
std::string request_id_for(const Request& req);
std::string generate_id();

// X-Forwarded-For is believed only from TRUSTED_PROXIES: walk it right to left, skipping trusted hops.
std::string client_ip_for(const Request& req, const std::vector<net::Cidr>& trusted);

// CORS. Returns an error for a denied Origin, a 204 for an allowed preflight, nothing to continue.
struct CorsOutcome {
  std::optional<Error> denied;
  std::optional<Response> preflight;
  bool allowed_cross_origin = false;
};
CorsOutcome cors_check(const Request& req, const Config& cfg);
void cors_headers(const Request& req, Response& res, bool allowed_cross_origin);

void security_headers(const Config& cfg, Response& res);
// The same headers as ready-to-send lines, computed once.
std::string security_header_block(const Config& cfg);

void rate_limit_headers(const ratelimit::Decision& d, const char* policy, std::int64_t window_s, std::int64_t now_s,
                        Response& res);

bool compressible(std::string_view content_type);
bool accepts_gzip(const Request& req);
std::optional<std::string> gzip(std::string_view data);
// Compresses in place when the client accepts it and it is worth it (≥ 1 KiB, compressible type).
void maybe_gzip(const Request& req, Response& res);

}  // namespace tg::http
