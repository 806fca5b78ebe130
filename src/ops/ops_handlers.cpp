#include "ops/ops_handlers.hpp"

#include <boost/asio/this_coro.hpp>

#include "core/embedded.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "db/migrate.hpp"
#include "http/body.hpp"
#include "http/problem.hpp"

namespace tg::ops {
using http::Request;
using http::Response;

namespace {
constexpr db::Query kPing{"ops_ping", "SELECT 1"};

Task<Response> readiness(OpsDeps d) {
  auto start = std::chrono::steady_clock::now();
  nlohmann::json checks;
  bool ready = true;
  auto ping = co_await d.db.query(kPing);
  if (ping) {
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    checks["database"] = {{"status", "up"}, {"latencyMs", std::round(ms * 100) / 100}};
    auto m = co_await db::migration_status(d.db, embedded::migrations());
    if (m) {
      checks["migrations"] = {
          {"status", m->current() ? "current" : "pending"}, {"applied", m->applied}, {"expected", m->expected}};
      ready = m->current();
    } else {
      checks["migrations"] = {{"status", "unknown"}};
      ready = false;
    }
  } else {
    checks["database"] = {{"status", "down"}};
    checks["migrations"] = {{"status", "unknown"}};
    ready = false;
  }
  if (d.gateway_loaded) {
    const bool loaded = d.gateway_loaded();
    checks["gateway"] = {{"status", loaded ? "loaded" : "loading"}};
    ready = ready && loaded;
  }
  if (!d.redis) {
    checks["redis"] = {{"status", "disabled"}};
  } else {
    std::vector<std::string> ping_cmd{"PING"};
    auto pong = co_await d.redis->local().command(std::move(ping_cmd));
    checks["redis"] = {{"status", pong && pong->type != redis::Reply::Type::error ? "up" : "down"}};
  }
  auto res = Response::json(ready ? 200 : 503, {{"status", ready ? "ready" : "not_ready"}, {"checks", checks}});
  res.set("Cache-Control", "no-store");
  if (!ready) res.set("Retry-After", "5");
  co_return res;
}

}  // namespace

void register_routes(http::Router& router, OpsDeps d) {
  router.add("GET", "/healthz", [](Request&) -> Task<Response> {
    Response r;
    r.body = R"({"status":"ok"})";
    r.headers = {{"Content-Type", "application/json"}, {"Cache-Control", "no-store"}};
    co_return r;
  });
  router.add("GET", "/readyz", [d](Request&) -> Task<Response> { co_return co_await readiness(d); });
  router.add("GET", "/metrics", [](Request&) -> Task<Response> {
    co_return Response::text(200, metrics::registry().render(), "text/plain; version=0.0.4; charset=utf-8");
  });
  router.add("GET", "/api/openapi.json", [](Request&) -> Task<Response> {
    Response r;
    r.body = std::string(embedded::openapi_json());
    r.set("Content-Type", "application/json");
    r.set("Cache-Control", "public, max-age=300");
    co_return r;
  });
  router.add("GET", "/api/version", [d](Request&) -> Task<Response> {
    co_return Response::json(
        200, {{"name", "tollgate"}, {"version", TOLLGATE_VERSION}, {"environment", to_string(d.cfg.env)}});
  });
  router.add("POST", "/api/client-errors", [](Request& req) -> Task<Response> {
    auto body = http::json_object_body(req, {"message", "stack", "url", "userAgent"});
    if (!body) co_return http::problem(body.error(), req.request_id);
    http::Validator v(*body);
    auto message = v.string("message", true, 1, 2000);
    auto stack = v.string("stack", false, 0, 16000);
    auto url = v.string("url", false, 0, 2000);
    auto ua = v.string("userAgent", false, 0, 500);
    if (!v.ok()) co_return http::problem(v.error(), req.request_id);
    static auto& reports =
        metrics::registry().counter("tollgate_client_errors_total", "Errors reported by the dashboard");
    reports.inc();
    log::warn("client error", {{"requestId", req.request_id},
                               {"message", message},
                               {"url", url},
                               {"userAgent", ua},
                               {"stack", stack.substr(0, 4000)},
                               {"ip", req.client_ip}});
    co_return Response::json(202, {{"accepted", true}});
  });
  if (d.cfg.test_hooks) {
    // Test-only: a slow request, so shutdown tests have something in flight. Never enabled in production.
    router.add(
        "GET", "/__test/sleep",
        [](Request& req) -> Task<Response> {
          int ms = 0;
          auto q = req.query_param("ms");
          if (q) ms = std::atoi(q->c_str());
          ms = std::clamp(ms, 0, 10000);
          asio::steady_timer t(co_await asio::this_coro::executor);
          t.expires_after(std::chrono::milliseconds(ms));
          boost::system::error_code ec;
          co_await t.async_wait(asio::redirect_error(asio::use_awaitable, ec));
          co_return Response::json(200, {{"slept", ms}});
        },
        /*documented=*/false);
  }
}

}  // namespace tg::ops
