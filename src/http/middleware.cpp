#include "http/middleware.hpp"

#include "core/fast_rng.hpp"
#include "core/hex.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>

namespace tg::http {

std::string generate_id() {
  thread_local FastRng rng;
  unsigned char b[16];
  const std::uint64_t a = rng.next(), d = rng.next();
  std::memcpy(b, &a, 8);
  std::memcpy(b + 8, &d, 8);
  return to_hex(b, sizeof b);
}

std::string request_id_for(const Request& req) {
  if (const auto* v = req.header("x-request-id")) {
    bool sane = !v->empty() && v->size() <= 128 && std::all_of(v->begin(), v->end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == ':' || c == '-';
    });
    if (sane) return *v;
  }
  return generate_id();
}

namespace {
bool trusted_ip(std::string_view ip, const std::vector<net::Cidr>& trusted) {
  auto addr = net::parse_ip(ip);
  if (!addr) return false;
  return std::any_of(trusted.begin(), trusted.end(), [&](const net::Cidr& c) { return net::contains(c, *addr); });
}
std::string trim(std::string_view s) {
  auto b = s.find_first_not_of(" \t");
  if (b == std::string_view::npos) return {};
  auto e = s.find_last_not_of(" \t");
  return std::string(s.substr(b, e - b + 1));
}
}  // namespace

std::string client_ip_for(const Request& req, const std::vector<net::Cidr>& trusted) {
  if (trusted.empty() || !trusted_ip(req.peer_ip, trusted)) return req.peer_ip;
  const auto* xff = req.header("x-forwarded-for");
  if (!xff) return req.peer_ip;
  std::string_view list = *xff;
  while (!list.empty()) {
    auto comma = list.rfind(',');
    auto hop = trim(comma == std::string_view::npos ? list : list.substr(comma + 1));
    if (!net::parse_ip(hop)) return req.peer_ip;  // garbage in the chain: trust nothing from it
    if (!trusted_ip(hop, trusted)) return hop;
    if (comma == std::string_view::npos) return hop;
    list = list.substr(0, comma);
  }
  return req.peer_ip;
}

namespace {
// Same origin when the Origin's host[:port] equals the Host header (the dashboard served by this server).
bool same_origin(std::string_view origin, const Request& req) {
  const auto* host = req.header("host");
  if (!host) return false;
  auto p = origin.find("://");
  if (p == std::string_view::npos) return false;
  return iequals(origin.substr(p + 3), *host);
}
}  // namespace

CorsOutcome cors_check(const Request& req, const Config& cfg) {
  CorsOutcome out;
  const auto* origin = req.header("origin");
  if (!origin) return out;
  bool listed = std::find(cfg.cors_origins.begin(), cfg.cors_origins.end(), *origin) != cfg.cors_origins.end();
  if (!listed && !same_origin(*origin, req)) {
    out.denied = Error::of(ErrorCode::CorsOriginDenied, "Origin '" + origin->substr(0, 200) + "' is not allowed.");
    return out;
  }
  out.allowed_cross_origin = listed;
  if (req.method == "OPTIONS" && req.header("access-control-request-method")) {
    Response r = Response::empty(204);
    r.set("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS");
    const auto* h = req.header("access-control-request-headers");
    r.set("Access-Control-Allow-Headers",
          h ? *h : "Authorization, Content-Type, X-Request-ID, X-API-Key, Idempotency-Key, X-Organization-Id");
    r.set("Access-Control-Max-Age", "600");
    out.preflight = std::move(r);
  }
  return out;
}

void cors_headers(const Request& req, Response& res, bool allowed_cross_origin) {
  if (!allowed_cross_origin) return;
  res.set("Access-Control-Allow-Origin", *req.header("origin"));
  res.set("Access-Control-Allow-Credentials", "true");
  res.set("Access-Control-Expose-Headers",
          "X-Request-ID, Retry-After, RateLimit, RateLimit-Policy, X-RateLimit-Limit, X-RateLimit-Remaining, "
          "X-RateLimit-Reset, Deprecation, Sunset");
  res.add("Vary", "Origin");
}

void security_headers(const Config& cfg, Response& res) {
  // Helmet's defaults, tightened for a same-origin SPA.
  res.set("Content-Security-Policy",
          "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob: https:; "
          "font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
          "frame-ancestors 'none'; upgrade-insecure-requests");
  res.set("X-Content-Type-Options", "nosniff");
  res.set("Referrer-Policy", "strict-origin-when-cross-origin");
  res.set("X-Frame-Options", "DENY");
  res.set("Cross-Origin-Opener-Policy", "same-origin");
  res.set("Cross-Origin-Resource-Policy", "same-origin");
  res.set("X-DNS-Prefetch-Control", "off");
  res.set("X-Permitted-Cross-Domain-Policies", "none");
  if (cfg.trust_proxy_tls) res.set("Strict-Transport-Security", "max-age=31536000; includeSubDomains");
}

std::string security_header_block(const Config& cfg) {
  Response r;
  security_headers(cfg, r);
  std::string block;
  for (const auto& [k, v] : r.headers) block += k + ": " + v + "\r\n";
  return block;
}

void rate_limit_headers(const ratelimit::Decision& d, const char* policy, std::int64_t window_s, std::int64_t now_s,
                        Response& res) {
  const std::int64_t reset_s = (d.reset_ms + 999) / 1000;
  res.set("RateLimit-Policy",
          std::string("\"") + policy + "\";q=" + std::to_string(d.limit) + ";w=" + std::to_string(window_s));
  res.set("RateLimit",
          std::string("\"") + policy + "\";r=" + std::to_string(d.remaining) + ";t=" + std::to_string(reset_s));
  res.set("X-RateLimit-Limit", std::to_string(d.limit));
  res.set("X-RateLimit-Remaining", std::to_string(d.remaining));
  res.set("X-RateLimit-Reset", std::to_string(now_s + reset_s));
  if (!d.allowed) res.set("Retry-After", std::to_string(std::max<std::int64_t>(1, (d.retry_after_ms + 999) / 1000)));
}

bool compressible(std::string_view ct) {
  ct = ct.substr(0, ct.find(';'));
  return ct.rfind("text/", 0) == 0 || ct == "application/json" || ct == "application/problem+json" ||
         ct == "application/javascript" || ct == "image/svg+xml" || ct == "application/xml" ||
         ct == "application/manifest+json";
}

bool accepts_gzip(const Request& req) {
  const auto* ae = req.header("accept-encoding");
  if (!ae) return false;
  std::string v = *ae;
  std::transform(v.begin(), v.end(), v.begin(), ::tolower);
  auto p = v.find("gzip");
  if (p == std::string::npos) return false;
  auto rest = v.substr(p + 4, v.find(',', p) - (p + 4));
  return rest.find("q=0") == std::string::npos || rest.find("q=0.") != std::string::npos;
}

std::optional<std::string> gzip(std::string_view data) {
  z_stream zs{};
  if (deflateInit2(&zs, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return std::nullopt;
  std::string out;
  out.resize(deflateBound(&zs, static_cast<uLong>(data.size())) + 32);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) return std::nullopt;
  return out;
}

void maybe_gzip(const Request& req, Response& res) {
  if (res.stream || res.body.size() < 1024 || res.header("content-encoding")) return;
  const auto* ct = res.header("content-type");
  if (!ct || !compressible(*ct)) return;
  res.add("Vary", "Accept-Encoding");
  if (!accepts_gzip(req)) return;
  if (auto z = gzip(res.body)) {
    res.body = std::move(*z);
    res.set("Content-Encoding", "gzip");
  }
}

}  // namespace tg::http
