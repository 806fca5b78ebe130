#include "analytics/analytics_handlers.hpp"

#include "cache/response_cache.hpp"

#include "core/time.hpp"
#include "http/problem.hpp"

namespace tg::analytics {
using http::Request;
using http::Response;

namespace {
constexpr std::int64_t kDayMs = 86'400'000;

// "YYYY-MM-DD" → Unix ms of its UTC midnight.
std::optional<std::int64_t> day_ms(const std::string& s) {
  if (s.size() != 10) return std::nullopt;
  return parse_rfc3339_ms(s + "T00:00:00Z");
}

std::string day_of(std::int64_t ms) {
  return format_rfc3339_ms(ms).substr(0, 10);
}
}  // namespace

void register_routes(http::Router& router, auth::AuthService& auth, AnalyticsRepository& repo, const Clock& clock) {
  router.add("GET", "/api/admin/analytics", [&auth, &repo, &clock](Request& req) -> Task<Response> {
    const std::string user_id = req.user_id;
    auto admin = co_await auth.require_admin(user_id, req.client_ip, req.session_id);
    if (!admin) co_return http::problem(admin.error(), req.request_id);
    Error bad = Error::of(ErrorCode::ValidationFailed, "One or more query parameters are invalid.");
    std::int64_t to = clock.now_ms() / kDayMs * kDayMs;
    if (auto t = req.query_param("to")) {
      auto v = day_ms(*t);
      if (!v)
        bad.fields.push_back({"to", "must be a date YYYY-MM-DD (UTC)"});
      else
        to = *v;
    }
    std::int64_t from = to - 29 * kDayMs;
    if (auto f = req.query_param("from")) {
      auto v = day_ms(*f);
      if (!v)
        bad.fields.push_back({"from", "must be a date YYYY-MM-DD (UTC)"});
      else
        from = *v;
    }
    if (bad.fields.empty() && from > to) bad.fields.push_back({"from", "must not be after to"});
    if (bad.fields.empty() && to - from > 365 * kDayMs) bad.fields.push_back({"from", "the range is at most 366 days"});
    if (!bad.fields.empty()) co_return http::problem(bad, req.request_id);
    const std::string from_day = day_of(from);
    const std::string to_day = day_of(to);
    // The admin report reads the daily analytics tables; they change with every refresh and shipment ("all").
    cache::ResponseCache::Lookup cached;
    const std::string scope = "all";
    const std::string cache_key = "analytics:" + from_day + ":" + to_day;
    if (repo.cache()) {
      cached = co_await repo.cache()->get(scope, cache_key);
      if (cached.body) {
        Response hit = Response::text(200, *cached.body, "application/json");
        hit.set("Cache-Control", "no-store");
        hit.set("X-Cache", "hit");
        co_return hit;
      }
    }
    auto report = co_await repo.report(from_day, to_day);
    if (!report) co_return http::problem(report.error(), req.request_id);
    Response res = Response::json(200, report.value());
    res.set("Cache-Control", "no-store");
    if (repo.cache()) {
      std::string body = report->dump();
      co_await repo.cache()->put(scope, cached.version, cache_key, body);
      res.set("X-Cache", "miss");
    }
    co_return res;
  });
}

}  // namespace tg::analytics
