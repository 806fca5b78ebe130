#include "http/pipeline.hpp"

#include <unordered_map>

#include "core/log.hpp"
#include "core/metrics.hpp"
#include "http/middleware.hpp"
#include "http/problem.hpp"

namespace tg::http {
namespace {

metrics::Gauge& in_flight() {
  static auto& g = metrics::registry().gauge("tollgate_http_requests_in_flight", "Requests being handled now");
  return g;
}

struct SeriesKey {
  const char* route;  // route strings are stable (router patterns or literals): compare by address
  std::size_t route_len;
  std::string_view method;
  int status;
  bool operator==(const SeriesKey& o) const {
    return route == o.route && route_len == o.route_len && method == o.method && status == o.status;
  }
};
struct SeriesHash {
  std::size_t operator()(const SeriesKey& k) const {
    return std::hash<const void*>{}(k.route) ^ (std::hash<std::string_view>{}(k.method) << 1) ^
           (static_cast<std::size_t>(k.status) << 7);
  }
};

// Method names are label values: any other token a client sends is "other", so made-up methods cannot grow
// /metrics (and memory) without bound.
std::string_view method_label(std::string_view m) {
  static constexpr std::string_view kKnown[] = {"GET",    "HEAD",    "POST",  "PUT",    "PATCH",
                                                "DELETE", "OPTIONS", "TRACE", "CONNECT"};
  for (auto k : kKnown)
    if (m == k) return k;
  return "other";
}

void record(const Request& req, int status, double seconds) {
  // Lookups are cached per thread and keyed without allocating: the registry lock stays off the hot path.
  thread_local std::unordered_map<SeriesKey, std::pair<metrics::Counter*, metrics::Histogram*>, SeriesHash> cache;
  static constexpr std::string_view kUnmatched = "unmatched";
  const std::string_view route = req.route.empty() ? kUnmatched : req.route;
  const std::string_view method = method_label(req.method);  // a static string: safe as a key
  auto it = cache.find(SeriesKey{route.data(), route.size(), method, status});
  if (it == cache.end()) {
    const std::string r(route);
    const std::string m(method);
    std::pair<metrics::Counter*, metrics::Histogram*> slot{
        &metrics::registry().counter("tollgate_http_requests_total", "HTTP requests by route, method and status",
                                     {{"route", r}, {"method", m}, {"status", std::to_string(status)}}),
        &metrics::registry().histogram("tollgate_http_request_duration_seconds",
                                       "HTTP request latency by route and method", {{"route", r}, {"method", m}})};
    it = cache.emplace(SeriesKey{route.data(), route.size(), method, status}, slot).first;
  }
  auto& slot = it->second;
  slot.first->inc();
  slot.second->observe(seconds);
}

bool known_method(const std::string& m) {
  return m == "GET" || m == "HEAD" || m == "POST" || m == "PUT" || m == "PATCH" || m == "DELETE" || m == "OPTIONS";
}

}  // namespace

Pipeline::Pipeline(const Config& cfg, const Router& router, ratelimit::RateLimiter& limiter, const Clock& clock,
                   const StaticFiles* web)
    : cfg_(cfg),
      router_(router),
      limiter_(limiter),
      clock_(clock),
      web_(web),
      security_block_(security_header_block(cfg)) {}

void Pipeline::prepare(Request& req) {
  req.request_id = request_id_for(req);
  req.client_ip = client_ip_for(req, cfg_.trusted_proxies);
}

Response Pipeline::reject(Request& req, const Error& error) {
  auto start = std::chrono::steady_clock::now();
  prepare(req);
  Response res = problem(error, req.request_id);
  finish(req, res, start);
  return res;
}

Task<Response> Pipeline::handle(Request& req) {
  const auto start = std::chrono::steady_clock::now();
  in_flight().add(1);
  prepare(req);
  Response res;
  bool cross_origin = false;
  std::optional<ratelimit::Decision> limit;
  bool limited_by_user = false;  // fixed at decision time: handlers may identify the user later (login)
  do {
    auto cors = cors_check(req, cfg_);
    if (cors.denied) {
      res = problem(*cors.denied, req.request_id);
      break;
    }
    cross_origin = cors.allowed_cross_origin;
    if (cors.preflight) {
      res = std::move(*cors.preflight);
      req.route = "preflight";
      break;
    }
    if (identify_) identify_(req);
    // Stripe's webhook deliveries are authenticated by their signature, not limited per IP: Stripe sends bursts
    // from a few addresses, and a refused delivery is only retried later.
    if (req.path.rfind("/api/", 0) == 0 && req.path != "/api/stripe/webhook") {
      // Authenticated callers get their own, larger bucket (set by the auth issue); anonymous ones share an IP's.
      const bool by_user = !req.user_id.empty();
      limited_by_user = by_user;
      const LimitRule& rule = by_user ? cfg_.user_limit : cfg_.ip_limit;
      // No conditional operator yielding a std::string in a coroutine: GCC 12 can destroy its result twice.
      std::string key;
      if (by_user)
        key = "api:user:" + req.user_id;
      else
        key = "api:ip:" + req.client_ip;
      limit = co_await limiter_.hit(std::move(key), rule);
      static auto& allowed = metrics::registry().counter("tollgate_ratelimit_decisions_total",
                                                         "Rate-limit decisions by outcome", {{"outcome", "allowed"}});
      static auto& denied = metrics::registry().counter("tollgate_ratelimit_decisions_total",
                                                        "Rate-limit decisions by outcome", {{"outcome", "denied"}});
      (limit->allowed ? allowed : denied).inc();
      if (!limit->allowed) {
        res = problem(Error::of(ErrorCode::RateLimited, "Rate limit exceeded; retry after the Retry-After interval."),
                      req.request_id);
        break;
      }
    }
    if (scope_ && !req.user_id.empty() && req.path.rfind("/api/", 0) == 0) {
      auto refused = co_await scope_(req);
      if (refused) {
        res = problem(*refused, req.request_id);
        break;
      }
    }
    if (!known_method(req.method)) {
      res = problem(Error::of(ErrorCode::MethodNotAllowed, "Unsupported method."), req.request_id);
      break;
    }
    auto match = router_.match(req.method, req.path);
    if (match.outcome == Router::Outcome::matched) {
      req.route = match.route->pattern;
      req.params = std::move(match.params);
      try {
        res = co_await match.route->handler(req);
      } catch (const std::exception& e) {
        // Handlers return errors as values; this is the last line of defence, never the plan.
        log::error("handler threw",
                   {{"requestId", req.request_id}, {"route", std::string(req.route)}, {"what", e.what()}});
        res = problem(Error::of(ErrorCode::Internal), req.request_id);
      }
      break;
    }
    if (match.outcome == Router::Outcome::method_not_allowed) {
      if (req.method == "OPTIONS") {
        res = Response::empty(204);
        res.set("Allow", match.allow);
      } else {
        res = problem(
            Error::of(ErrorCode::MethodNotAllowed, req.method + " is not allowed on " + req.path.substr(0, 200) + ".")
                .with_header("Allow", match.allow),
            req.request_id);
      }
      break;
    }
    if (web_ && req.path.rfind("/api/", 0) != 0 && req.path.rfind("/v1/", 0) != 0 && req.path.rfind("/gw/", 0) != 0) {
      if (auto file = web_->serve(req)) {
        req.route = "static";
        res = std::move(*file);
        break;
      }
    }
    res = problem(Error::of(ErrorCode::NotFound, "No resource at " + req.path.substr(0, 200) + "."), req.request_id);
  } while (false);

  if (limit) {
    rate_limit_headers(*limit, limited_by_user ? "user" : "ip",
                       (limited_by_user ? cfg_.user_limit : cfg_.ip_limit).window.count() / 1000,
                       clock_.now_ms() / 1000, res);
  }
  cors_headers(req, res, cross_origin);
  finish(req, res, start);
  in_flight().add(-1);
  co_return res;
}

void Pipeline::finish(Request& req, Response& res, std::chrono::steady_clock::time_point start) {
  res.raw_headers = security_block_;
  if (res.passthrough && !res.headers.empty()) {
    // A proxied answer keeps the upstream's own security headers; ours fill in only what it did not set.
    std::string filtered;
    bool changed = false;
    std::string_view block = security_block_;
    while (!block.empty()) {
      const auto eol = block.find("\r\n");
      const std::string_view line = block.substr(0, eol == std::string_view::npos ? block.size() : eol + 2);
      const auto colon = line.find(':');
      if (colon != std::string_view::npos && res.header(line.substr(0, colon))) {
        changed = true;
      } else {
        filtered.append(line);
      }
      block.remove_prefix(line.size());
    }
    if (changed) {
      res.raw_owned = std::move(filtered);
      res.raw_headers = res.raw_owned;
    }
  }
  res.set("X-Request-ID", req.request_id);
  maybe_gzip(req, res);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  const double seconds = std::chrono::duration<double>(elapsed).count();
  record(req, res.status, seconds);
  const auto level = res.status >= 500 ? log::Level::error : log::Level::info;
  // Orchestrator probes hit these every few seconds on every instance; their lines drown the useful ones.
  const bool probe = req.route == "/healthz" || req.route == "/readyz";
  if (log::enabled(level) && (!probe || cfg_.access_log_probes || level != log::Level::info)) {
    // Hand-built JSON: this runs for every request.
    std::string line;
    line.reserve(320);
    line += "{\"time\":\"";
    line += log::iso_now();
    line += res.status >= 500 ? "\",\"level\":\"error\"" : "\",\"level\":\"info\"";
    line += ",\"msg\":\"request\",\"requestId\":";
    log::append_json_string(line, req.request_id);
    line += ",\"method\":";
    log::append_json_string(line, req.method);
    line += ",\"route\":";
    log::append_json_string(line, req.route.empty() ? std::string_view("unmatched") : req.route);
    line += ",\"path\":";
    log::append_json_string(line, std::string_view(req.path).substr(0, 512));
    line += ",\"status\":" + std::to_string(res.status);
    line += ",\"bytes\":" + std::to_string(res.body.size());
    line += ",\"latencyUs\":" + std::to_string(std::chrono::duration_cast<std::chrono::microseconds>(elapsed).count());
    line += ",\"ip\":";
    log::append_json_string(line, req.client_ip);
    if (!req.user_id.empty()) {
      line += ",\"userId\":";
      log::append_json_string(line, req.user_id);
    }
    if (!req.account_id.empty()) {
      line += ",\"accountId\":";
      log::append_json_string(line, req.account_id);
    }
    line += '}';
    if (level == log::Level::info)
      log::access(std::move(line));
    else
      log::raw(level, std::move(line));
  }
}

}  // namespace tg::http
