#include "gateway/gateway.hpp"

#include <libpq-fe.h>

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <cstdio>

#include "core/log.hpp"
#include "core/metrics.hpp"
#include "core/time.hpp"
#include "http/body.hpp"
#include "http/client.hpp"
#include "http/problem.hpp"

namespace tg::gateway {
using http::Request;
using http::Response;

namespace {
const db::Query kCatalog{"gateway_catalog",
                         "SELECT id::text AS id, method, path_pattern, upstream_url, description, cost, "
                         "COALESCE(rate_limit_per_minute, 0) AS rate_limit, timeout_ms, is_public FROM api_endpoints "
                         "WHERE enabled ORDER BY length(path_pattern) DESC"};

// Hop-by-hop headers (RFC 9110 §7.6.1) and credentials never cross the gateway.
// Header names listed in a Connection header are hop-by-hop too (RFC 9110 §7.6.1).
std::vector<std::string> connection_listed(const http::Headers& headers) {
  std::vector<std::string> out;
  for (const auto& [k, v] : headers) {
    if (k != "connection") continue;
    std::size_t start = 0;
    while (start <= v.size()) {
      auto comma = v.find(',', start);
      if (comma == std::string::npos) comma = v.size();
      std::string token = v.substr(start, comma - start);
      token.erase(0, token.find_first_not_of(" \t"));
      token.erase(token.find_last_not_of(" \t") + 1);
      for (auto& c : token) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (!token.empty()) out.push_back(token);
      start = comma + 1;
    }
  }
  return out;
}

bool listed(const std::vector<std::string>& names, std::string_view name) {
  return std::find(names.begin(), names.end(), name) != names.end();
}

bool drop_request_header(std::string_view name) {
  static constexpr std::string_view kDrop[] = {
      "connection",        "keep-alive",    "proxy-connection",    "te",     "trailer",
      "transfer-encoding", "upgrade",       "proxy-authorization", "expect", "host",
      "content-length",    "authorization", "x-api-key",           "cookie", "forwarded"};
  for (auto d : kDrop) {
    if (name == d) return true;
  }
  // Callers cannot forge what the gateway asserts, nor what a proxy in front of it would.
  return name.rfind("x-tollgate-", 0) == 0 || name.rfind("x-forwarded-", 0) == 0;
}

// The upstream's security headers pass through; the pipeline then leaves its own copy of those out (no
// "SAMEORIGIN, DENY" merges). X-Request-ID is always the gateway's.
bool drop_response_header(std::string_view name) {
  static constexpr std::string_view kDrop[] = {
      "connection", "keep-alive",     "proxy-connection", "te",   "trailer",     "transfer-encoding",
      "upgrade",    "content-length", "server",           "date", "x-request-id"};
  for (auto d : kDrop) {
    if (name == d) return true;
  }
  return false;
}

// Dot segments and encoded separators could make an upstream resolve a different path than the one matched
// (a public prefix reaching a protected one): refused outright.
bool suspicious_path(std::string_view path) {
  std::string lower(path);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower.find("%2e") != std::string::npos || lower.find("%2f") != std::string::npos ||
      lower.find("%5c") != std::string::npos || lower.find('\\') != std::string::npos) {
    return true;
  }
  std::size_t start = 0;
  while (start <= lower.size()) {
    auto slash = lower.find('/', start);
    if (slash == std::string::npos) slash = lower.size();
    const std::string_view seg(lower.data() + start, slash - start);
    if (seg == "." || seg == "..") return true;
    start = slash + 1;
  }
  return false;
}

struct Problem {
  ErrorCode kind;
  const char* code;
  const char* detail;
};

Problem problem_for(std::string_view code) {
  if (code == "NOT_FOUND") return {ErrorCode::Unauthorized, "INVALID_API_KEY", "The API key is not valid."};
  if (code == "REVOKED") return {ErrorCode::Unauthorized, "API_KEY_REVOKED", "The API key was revoked."};
  if (code == "EXPIRED") return {ErrorCode::Unauthorized, "API_KEY_EXPIRED", "The API key has expired."};
  if (code == "DISABLED") return {ErrorCode::Forbidden, "API_KEY_DISABLED", "The API key or its account is disabled."};
  if (code == "PAYMENT_REQUIRED") {
    return {ErrorCode::PaymentRequired, "PAYMENT_REQUIRED",
            "The account has an unpaid invoice; update the payment method."};
  }
  if (code == "USAGE_EXCEEDED") {
    return {ErrorCode::RateLimited, "USAGE_EXCEEDED", "The plan's quota for this period is used up."};
  }
  return {ErrorCode::RateLimited, "RATE_LIMITED", "Too many requests for this API key."};
}

std::string presented_key(const Request& req) {
  if (const auto* k = req.header("x-api-key")) return *k;
  const auto* auth = req.header("authorization");
  if (auth && auth->size() > 7 && http::iequals(std::string_view(*auth).substr(0, 7), "Bearer "))
    return auth->substr(7);
  return {};
}

void rate_headers(Response& res, const verify::Decision& d) {
  if (d.rl_limit < 0) return;
  res.set("RateLimit-Limit", std::to_string(d.rl_limit));
  res.set("RateLimit-Remaining", std::to_string(d.rl_remaining));
  res.set("RateLimit-Reset", std::to_string((d.rl_reset_ms + 999) / 1000));
  res.set("X-RateLimit-Limit", std::to_string(d.rl_limit));
  res.set("X-RateLimit-Remaining", std::to_string(d.rl_remaining));
  if (d.sunset_s > 0) {
    res.set("Deprecation", "true");
    res.set("Sunset", http_date(d.sunset_s));
  }
}

// The built-in demo upstream (`internal://echo`): what the upstream would have received.
Response echo(const Request& req, const http::Headers& forwarded, const std::string& path, std::uint64_t streamed) {
  nlohmann::json headers = nlohmann::json::object();
  for (const auto& [k, v] : forwarded) headers[k] = v;
  nlohmann::json body = {{"method", req.method},
                         {"path", path},
                         {"query", req.query},
                         {"headers", headers},
                         {"body", req.body_stream              ? "<" + std::to_string(streamed) + " bytes, streamed>"
                                  : http::valid_utf8(req.body) ? req.body
                                                               : std::string("<binary>")},
                         {"receivedAt", format_rfc3339_ms(std::chrono::duration_cast<std::chrono::milliseconds>(
                                                              std::chrono::system_clock::now().time_since_epoch())
                                                              .count())}};
  return Response::json(200, body);
}

metrics::Counter& proxied(std::string_view outcome) {
  // Resolved once: a registry lookup (labels and all) per proxied call showed up in the gateway's profile.
  const auto get = [](const char* o) -> metrics::Counter* {
    return &metrics::registry().counter("tollgate_gateway_requests_total", "Gateway requests by outcome",
                                        {{"outcome", o}});
  };
  static metrics::Counter* const ok = get("ok");
  static metrics::Counter* const no_route = get("no_route");
  static metrics::Counter* const no_key = get("no_key");
  static metrics::Counter* const refused = get("refused");
  static metrics::Counter* const timeout = get("timeout");
  static metrics::Counter* const upstream_error = get("upstream_error");
  if (outcome == "ok") return *ok;
  if (outcome == "no_route") return *no_route;
  if (outcome == "no_key") return *no_key;
  if (outcome == "refused") return *refused;
  if (outcome == "timeout") return *timeout;
  return *upstream_error;
}
}  // namespace

bool path_matches(std::string_view pattern, std::string_view path) {
  std::size_t pi = 0, si = 0;
  while (pi < pattern.size()) {
    if (pattern[pi] == '*') return true;
    if (pattern[pi] == '{') {
      const auto close = pattern.find('}', pi);
      if (close == std::string_view::npos) return false;
      const auto seg_end = path.find('/', si);
      const std::size_t end = seg_end == std::string_view::npos ? path.size() : seg_end;
      if (end == si) return false;
      si = end;
      pi = close + 1;
      continue;
    }
    if (si >= path.size() || pattern[pi] != path[si]) {
      // "/echo/*" also matches "/echo".
      return pattern.substr(pi) == "/*" && si == path.size();
    }
    ++pi;
    ++si;
  }
  return si == path.size();
}

Task<Status> Catalog::reload() {
  auto r = co_await db_.query(kCatalog);
  if (!r) co_return r.error();
  auto list = std::make_shared<std::vector<Endpoint>>();
  for (int i = 0; i < r->size(); ++i) {
    Endpoint e;
    e.id = std::string(r->get(i, "id"));
    e.method = std::string(r->get(i, "method"));
    e.pattern = std::string(r->get(i, "path_pattern"));
    e.upstream_url = std::string(r->get(i, "upstream_url"));
    e.description = std::string(r->get(i, "description"));
    e.cost = r->integer(i, "cost");
    e.rate_limit = r->integer(i, "rate_limit");
    e.timeout_ms = r->integer(i, "timeout_ms");
    e.is_public = r->boolean(i, "is_public");
    list->push_back(std::move(e));
  }
  std::lock_guard lock(mu_);
  endpoints_ = std::move(list);
  last_reload_ms_ =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count();
  co_return ok_status();
}

Task<void> Catalog::run(const std::atomic<bool>& stop) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!stop.load()) {
    auto r = co_await reload();
    if (!r) log::warn("gateway catalog reload failed", {{"error", r.error().detail}, {"cause", r.error().cause}});
    timer.expires_after(std::chrono::seconds(loaded() ? 5 : 1));
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

Task<std::shared_ptr<const Endpoint>> Catalog::match_or_reload(std::string method, std::string path) {
  auto hit = match(method, path);
  if (hit) co_return hit;
  // Not read yet (a fresh start): every caller reads it rather than answer 404 for a route that exists.
  if (!loaded()) {
    co_await reload();
    co_return match(method, path);
  }
  const std::int64_t now =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now().time_since_epoch())
          .count();
  std::int64_t last = last_reload_ms_.load();
  if (now - last < 1000 || !last_reload_ms_.compare_exchange_strong(last, now)) co_return hit;
  co_await reload();
  co_return match(method, path);
}

bool Catalog::loaded() const {
  std::lock_guard lock(mu_);
  return endpoints_ != nullptr;
}

std::shared_ptr<const Endpoint> Catalog::match(std::string_view method, std::string_view path) const {
  std::shared_ptr<const std::vector<Endpoint>> list;
  {
    std::lock_guard lock(mu_);
    list = endpoints_;
  }
  if (!list) return nullptr;
  const Endpoint* wildcard = nullptr;
  for (const auto& e : *list) {  // longest patterns first
    if (!path_matches(e.pattern, path)) continue;
    if (e.method == method) return std::shared_ptr<const Endpoint>(list, &e);
    if (e.method == "*" && !wildcard) wildcard = &e;
  }
  return wildcard ? std::shared_ptr<const Endpoint>(list, wildcard) : nullptr;
}

void register_routes(http::Router& router, GatewayDeps given) {
  auto deps = std::make_shared<GatewayDeps>(given);
  auto handler = [deps](Request& req) -> Task<Response> {
    // No conditional operators yielding strings in coroutines (GCC 12, docs/architecture.md).
    std::string path = "/";
    if (req.path.size() > 3) path = req.path.substr(3);
    if (suspicious_path(path)) {
      co_return http::problem(
          Error::coded(ErrorCode::BadRequest, "INVALID_PATH", "The path has dot segments or encoded separators."),
          req.request_id);
    }
    auto endpoint = co_await deps->catalog.match_or_reload(req.method, path);
    if (!endpoint) {
      proxied("no_route").inc();
      co_return http::problem(Error::coded(ErrorCode::NotFound, "ENDPOINT_NOT_FOUND",
                                           "No API endpoint matches " + req.method + " /gw" + path + "."),
                              req.request_id);
    }
    verify::VerifyInput in;
    in.endpoint = endpoint->pattern;
    in.method = req.method;
    in.cost = endpoint->cost;
    in.endpoint_id = endpoint->id;
    in.endpoint_rate_limit = endpoint->rate_limit;
    verify::Decision decision;
    if (!endpoint->is_public) {
      in.key = presented_key(req);
      if (in.key.empty()) {
        proxied("no_key").inc();
        Response res = http::problem(Error::coded(ErrorCode::Unauthorized, "API_KEY_REQUIRED",
                                                  "Send an API key as `Authorization: Bearer …` or `X-API-Key`."),
                                     req.request_id);
        res.set("WWW-Authenticate", "Bearer");
        co_return res;
      }
      auto d = co_await deps->verify.decide(in, req, false);
      if (!d) co_return http::problem(d.error(), req.request_id);
      decision = std::move(d.value());
      if (std::string_view(decision.code) != "VALID") {
        verify::CallOutcome outcome;
        outcome.source = "gateway";
        outcome.api_endpoint_id = endpoint->id;
        if (auto w = deps->verify.record(decision, in, req, outcome); !w)
          co_return http::problem(w.error(), req.request_id);
        proxied("refused").inc();
        const Problem p = problem_for(decision.code);
        Response res = http::problem(Error::coded(p.kind, p.code, p.detail), req.request_id);
        rate_headers(res, decision);
        if (std::string_view(decision.code) == "RATE_LIMITED" && decision.retry_after_ms > 0) {
          res.set("Retry-After", std::to_string((decision.retry_after_ms + 999) / 1000));
        }
        if (p.kind == ErrorCode::Unauthorized) res.set("WWW-Authenticate", "Bearer");
        co_return res;
      }
    }
    // Forwarded headers: the caller's, minus hop-by-hop and credentials, plus what the gateway asserts.
    http::Headers forwarded;
    const auto hop = connection_listed(req.headers);
    for (const auto& [k, v] : req.headers) {
      if (!drop_request_header(k) && !listed(hop, k)) forwarded.emplace_back(k, v);
    }
    forwarded.emplace_back("x-forwarded-for", req.client_ip);
    forwarded.emplace_back("x-request-id", req.request_id);
    if (decision.record) {
      forwarded.emplace_back("x-tollgate-organization", decision.record->organization_id);
      forwarded.emplace_back("x-tollgate-key-id", decision.record->id);
      forwarded.emplace_back("x-tollgate-plan", decision.record->plan_slug);
    }
    Response res;
    // A streamed answer is metered before it is written, so its size is the declared Content-Length; for a chunked
    // answer of unknown length it is the part read before the answer started (the buffer, 1 MiB).
    std::int64_t response_bytes = -1;
    if (endpoint->upstream_url == "internal://echo") {
      std::uint64_t streamed = 0;
      bool failed = false;
      while (req.body_stream) {  // a large body: read (and counted), not shown
        auto piece = co_await req.body_stream->next();
        if (!piece) {
          failed = true;
          res = http::problem(piece.error(), req.request_id);
          break;
        }
        if (piece.value().empty()) break;
        streamed += piece.value().size();
      }
      if (!failed) res = echo(req, forwarded, path, streamed);
      proxied("ok").inc();
    } else {
      auto upstream = http::parse_upstream(endpoint->upstream_url);
      if (!upstream) {
        res = http::problem(
            Error::coded(ErrorCode::BadGateway, "UPSTREAM_UNAVAILABLE", "This endpoint's upstream is misconfigured."),
            req.request_id);
        co_await deps->verify.refund(decision);
      } else {
        http::ClientRequest out;
        out.method = req.method;
        out.target = path;
        if (!req.query.empty()) out.target += "?" + req.query;
        out.headers = std::move(forwarded);
        out.body = req.body;
        out.body_stream = req.body_stream;
        out.body_length = req.body_length;
        out.timeout = std::chrono::milliseconds(endpoint->timeout_ms);
        auto answer = co_await http::send(upstream.value(), out);
        if (!answer) {
          const bool timeout = answer.error().code == ErrorCode::Timeout;
          proxied(timeout ? "timeout" : "upstream_error").inc();
          log::warn("gateway upstream failed",
                    {{"endpoint", endpoint->pattern}, {"error", answer.error().detail}, {"requestId", req.request_id}});
          Error e = Error::coded(ErrorCode::BadGateway, "UPSTREAM_UNAVAILABLE", "The upstream could not be reached.");
          if (timeout) e = Error::coded(ErrorCode::Timeout, "UPSTREAM_TIMEOUT", "The upstream did not answer in time.");
          // A streamed request body that failed on the caller's side (too large, cut short) is the caller's error.
          const auto code = answer.error().code;
          if (code == ErrorCode::PayloadTooLarge || code == ErrorCode::BadRequest) e = answer.error();
          res = http::problem(e, req.request_id);
          // The call did not happen: the organization is not charged for it (recorded with cost 0).
          co_await deps->verify.refund(decision);
        } else {
          proxied("ok").inc();
          res.status = answer->status;
          res.passthrough = true;
          const auto hop_back = connection_listed(answer->headers);
          for (auto& [k, v] : answer->headers) {
            if (!drop_response_header(k) && !listed(hop_back, k)) res.add(k, v);
          }
          res.body = std::move(answer->body);
          if (answer->rest) {
            // Larger than the gateway buffers: the rest is written while it is read.
            res.stream = std::move(answer->rest);
            res.stream_length = answer->content_length;
          }
          if (answer->content_length && req.method != "HEAD")
            response_bytes = static_cast<std::int64_t>(*answer->content_length);
        }
      }
    }
    if (decision.record) {
      verify::CallOutcome outcome;
      outcome.source = "gateway";
      outcome.api_endpoint_id = endpoint->id;
      outcome.status_code = res.status;
      outcome.request_bytes = static_cast<std::int64_t>(req.body.size());
      if (req.body_stream) outcome.request_bytes = static_cast<std::int64_t>(req.body_stream->transferred());
      outcome.response_bytes = static_cast<std::int64_t>(res.body.size());
      if (response_bytes >= 0) outcome.response_bytes = response_bytes;
      // Spooled before the answer is written: a delivered response is always metered.
      if (auto w = deps->verify.record(decision, in, req, outcome); !w)
        co_return http::problem(w.error(), req.request_id);
      rate_headers(res, decision);
    }
    co_return res;
  };
  for (const char* m : {"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}) router.add(m, "/gw/*", handler);
}

int endpoints_cli(const std::string& conninfo, int argc, char** argv) {
  const std::string sub = argc > 2 ? argv[2] : "";
  PGconn* conn = PQconnectdb(conninfo.c_str());
  if (PQstatus(conn) != CONNECTION_OK) {
    std::fprintf(stderr, "tollgate endpoints: cannot connect to PostgreSQL: %s", PQerrorMessage(conn));
    PQfinish(conn);
    return 1;
  }
  auto finish = [&](int rc) {
    PQfinish(conn);
    return rc;
  };
  if (sub == "list") {
    PGresult* r = PQexec(conn,
                         "SELECT id, method, path_pattern, upstream_url, cost, COALESCE(rate_limit_per_minute::text, "
                         "'-'), is_public, enabled FROM api_endpoints ORDER BY path_pattern, method");
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
      std::fprintf(stderr, "tollgate endpoints: %s", PQresultErrorMessage(r));
      PQclear(r);
      return finish(1);
    }
    std::printf("%-36s  %-7s  %-30s  %-40s  %4s  %6s  %s\n", "id", "method", "path (below /gw)", "upstream", "cost",
                "rate/m", "flags");
    for (int i = 0; i < PQntuples(r); ++i) {
      std::string flags = std::string(PQgetvalue(r, i, 6))[0] == 't' ? "public" : "key";
      if (PQgetvalue(r, i, 7)[0] != 't') flags += ",disabled";
      std::printf("%-36s  %-7s  %-30s  %-40s  %4s  %6s  %s\n", PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
                  PQgetvalue(r, i, 2), PQgetvalue(r, i, 3), PQgetvalue(r, i, 4), PQgetvalue(r, i, 5), flags.c_str());
    }
    PQclear(r);
    return finish(0);
  }
  if (sub == "add") {
    std::string method = "*", path, upstream, cost = "1", rate, timeout = "30000", is_public = "false", desc;
    for (int i = 3; i < argc; ++i) {
      const std::string a = argv[i];
      auto next = [&](std::string& out) {
        if (i + 1 < argc) out = argv[++i];
      };
      if (a == "--method")
        next(method);
      else if (a == "--path")
        next(path);
      else if (a == "--upstream")
        next(upstream);
      else if (a == "--cost")
        next(cost);
      else if (a == "--rate-limit")
        next(rate);
      else if (a == "--timeout-ms")
        next(timeout);
      else if (a == "--description")
        next(desc);
      else if (a == "--public")
        is_public = "true";
      else {
        std::fprintf(stderr, "tollgate endpoints add: unknown argument '%s'\n", a.c_str());
        return finish(2);
      }
    }
    if (path.empty() || upstream.empty()) {
      std::fprintf(stderr,
                   "usage: tollgate endpoints add --path /p[/*] --upstream http://host[:port][/base] "
                   "[--method M] [--cost N] [--rate-limit N] [--timeout-ms N] [--public] [--description D]\n");
      return finish(2);
    }
    if (upstream != "internal://echo" && !http::parse_upstream(upstream)) {
      std::fprintf(stderr, "tollgate endpoints add: --upstream must be http://host[:port][/base]\n");
      return finish(2);
    }
    const char* params[] = {method.c_str(),  path.c_str(),     upstream.c_str(),
                            desc.c_str(),    cost.c_str(),     rate.empty() ? nullptr : rate.c_str(),
                            timeout.c_str(), is_public.c_str()};
    PGresult* r = PQexecParams(conn,
                               "INSERT INTO api_endpoints (method, path_pattern, upstream_url, description, cost, "
                               "rate_limit_per_minute, timeout_ms, is_public) VALUES ($1, $2, $3, $4, $5::int, "
                               "$6::int, $7::int, $8::boolean) RETURNING id",
                               8, nullptr, params, nullptr, nullptr, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
      std::fprintf(stderr, "tollgate endpoints add: %s", PQresultErrorMessage(r));
      PQclear(r);
      return finish(1);
    }
    std::printf("%s\n", PQgetvalue(r, 0, 0));
    PQclear(r);
    return finish(0);
  }
  if (sub == "remove" && argc == 4) {
    const char* params[] = {argv[3]};
    PGresult* r =
        PQexecParams(conn, "DELETE FROM api_endpoints WHERE id::text = $1", 1, nullptr, params, nullptr, nullptr, 0);
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK && std::string(PQcmdTuples(r)) == "1";
    if (!ok) std::fprintf(stderr, "tollgate endpoints remove: no endpoint with id %s\n", argv[3]);
    PQclear(r);
    return finish(ok ? 0 : 1);
  }
  std::fprintf(stderr, "usage: tollgate endpoints list | add ... | remove ID\n");
  return finish(2);
}

}  // namespace tg::gateway
