#include "usage/usage_handlers.hpp"

#include "cache/response_cache.hpp"

#include <charconv>
#include <cmath>

#include "auth/auth_handlers.hpp"
#include "core/csv.hpp"
#include "core/time.hpp"
#include "http/problem.hpp"

namespace tg::usage {
using http::Request;
using http::Response;

namespace {
// The 17 latency-histogram buckets summed with native aggregates (a plpgsql array aggregate per row was ~20x
// slower over 100k+ rows); percentiles are then interpolated here, as usage_hist_percentile() does in SQL.
#define HIST_COLUMNS                                                                                                   \
  "sum(latency_hist[1])::bigint AS h1, sum(latency_hist[2])::bigint AS h2, sum(latency_hist[3])::bigint AS h3, "       \
  "sum(latency_hist[4])::bigint AS h4, sum(latency_hist[5])::bigint AS h5, sum(latency_hist[6])::bigint AS h6, "       \
  "sum(latency_hist[7])::bigint AS h7, sum(latency_hist[8])::bigint AS h8, sum(latency_hist[9])::bigint AS h9, "       \
  "sum(latency_hist[10])::bigint AS h10, sum(latency_hist[11])::bigint AS h11, sum(latency_hist[12])::bigint AS h12, " \
  "sum(latency_hist[13])::bigint AS h13, sum(latency_hist[14])::bigint AS h14, sum(latency_hist[15])::bigint AS h15, " \
  "sum(latency_hist[16])::bigint AS h16, sum(latency_hist[17])::bigint AS h17"
constexpr std::int64_t kEdges[16] = {100,   250,    500,    1000,   2500,    5000,    10000,   25000,
                                     50000, 100000, 250000, 500000, 1000000, 2500000, 5000000, 10000000};

// Percentile p of the histogram in columns h1..h17 of row i, in ms; null when empty.
nlohmann::json percentile_ms(const db::Rows& r, int i, double p) {
  std::int64_t h[17];
  std::int64_t total = 0;
  for (int k = 0; k < 17; ++k) {
    const std::string col = "h" + std::to_string(k + 1);
    h[k] = r.is_null(i, r.column(col.c_str())) ? 0 : r.integer(i, col.c_str());
    total += h[k];
  }
  if (total == 0) return nullptr;
  const double target = p * static_cast<double>(total);
  double seen = 0;
  for (int k = 0; k < 17; ++k) {
    const double c = static_cast<double>(h[k]);
    if (c > 0 && seen + c >= target) {
      const double lo = k == 0 ? 0.0 : static_cast<double>(kEdges[k - 1]);
      if (k == 16) return lo / 1000.0;
      const double hi = static_cast<double>(kEdges[k]);
      return std::round(lo + (hi - lo) * std::max(target - seen, 0.0) / c) / 1000.0;
    }
    seen += c;
  }
  return static_cast<double>(kEdges[15]) / 1000.0;
}

// Whole UTC days [$5, $6) come from the day rollups (24x fewer rows), the ragged hours at both ends from the hour
// rollups: same totals, a fraction of the rows over long ranges.
#define RANGE_FILTER                                                                             \
  "((bucket = 'day' AND bucket_start >= $5::timestamptz AND bucket_start < $6::timestamptz) OR " \
  "(bucket = 'hour' AND bucket_start >= $2::timestamptz AND bucket_start < $3::timestamptz AND " \
  "NOT (bucket_start >= $5::timestamptz AND bucket_start < $6::timestamptz)))"

constexpr const char* kKeyFilter = "($4 = '' OR api_key_id::text = $4)";

const std::string kSummarySql =
    std::string(
        "SELECT COALESCE(sum(requests), 0)::bigint AS requests, COALESCE(sum(cost_units), 0)::bigint AS cost, "
        "COALESCE(sum(errors), 0)::bigint AS errors, COALESCE(sum(server_errors), 0)::bigint AS server_errors, "
        "COALESCE(sum(rejected), 0)::bigint AS rejected, " HIST_COLUMNS
        " FROM usage_rollups "
        "WHERE organization_id = $1::uuid AND " RANGE_FILTER " AND ") +
    kKeyFilter;
const std::string kSeriesSql =
    std::string(
        "WITH r AS (SELECT bucket_start, sum(requests)::bigint AS requests, sum(errors)::bigint AS errors, "
        "sum(cost_units)::bigint AS cost, " HIST_COLUMNS
        " FROM usage_rollups "
        "WHERE organization_id = $1::uuid AND bucket = $5 AND bucket_start >= $2::timestamptz "
        "AND bucket_start < $3::timestamptz AND ") +
    kKeyFilter +
    " GROUP BY bucket_start) "
    "SELECT to_char(g AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS t, "
    "COALESCE(r.requests, 0) AS requests, COALESCE(r.errors, 0) AS errors, COALESCE(r.cost, 0) AS cost, "
    "r.h1, r.h2, r.h3, r.h4, r.h5, r.h6, r.h7, r.h8, r.h9, r.h10, r.h11, r.h12, r.h13, r.h14, r.h15, r.h16, r.h17 "
    "FROM generate_series($2::timestamptz, $3::timestamptz - make_interval(secs => 1), "
    "CASE WHEN $5 = 'day' THEN interval '1 day' ELSE interval '1 hour' END) g "
    "LEFT JOIN r ON r.bucket_start = g ORDER BY g";
const std::string kByEndpointSql =
    std::string(
        "SELECT method, endpoint, sum(requests)::bigint AS requests, sum(errors)::bigint AS errors, "
        "sum(cost_units)::bigint AS cost, " HIST_COLUMNS
        " FROM usage_rollups "
        "WHERE organization_id = $1::uuid AND " RANGE_FILTER " AND ") +
    kKeyFilter + " GROUP BY method, endpoint ORDER BY requests DESC, method, endpoint LIMIT 500";
const std::string kDetailedSql =
    std::string(
        "SELECT event_id::text AS id, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS "
        "t, "
        "(extract(epoch FROM occurred_at) * 1000000)::bigint AS t_us, api_key_id::text AS key_id, source, method, "
        "endpoint, status_code, code, cost, latency_us, request_bytes, response_bytes, request_id FROM usage_events "
        "WHERE organization_id = $1::uuid AND occurred_at >= $2::timestamptz AND occurred_at < $3::timestamptz AND ") +
    kKeyFilter +
    " AND ($5 = '' OR endpoint = $5) AND ($6::int = 0 OR status_code / 100 = $6::int) "
    "AND (occurred_at, event_id) < (to_timestamp($7::bigint / 1000000.0), $8::uuid) "
    "ORDER BY occurred_at DESC, event_id DESC LIMIT $9::int";
const std::string kMonthlySql =
    "WITH r AS (SELECT bucket_start, sum(requests)::bigint AS requests, sum(errors)::bigint AS errors, "
    "sum(cost_units)::bigint AS cost FROM usage_rollups WHERE organization_id = $1::uuid AND bucket = 'day' "
    "AND bucket_start >= $2::timestamptz AND bucket_start < $3::timestamptz GROUP BY bucket_start) "
    "SELECT to_char(g AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS d, COALESCE(r.requests, 0) AS requests, "
    "COALESCE(r.errors, 0) AS errors, COALESCE(r.cost, 0) AS cost FROM generate_series($2::timestamptz, "
    "$3::timestamptz - interval '1 day', interval '1 day') g LEFT JOIN r ON r.bucket_start = g ORDER BY g";
const db::Query kSummary{"usage_summary", kSummarySql.c_str()};
const db::Query kSeries{"usage_series", kSeriesSql.c_str()};
const db::Query kByEndpoint{"usage_by_endpoint", kByEndpointSql.c_str()};
const db::Query kDetailed{"usage_detailed", kDetailedSql.c_str()};
const db::Query kMonthly{"usage_monthly", kMonthlySql.c_str()};
const db::Query kQuota{
    "usage_quota",
    "WITH s AS (SELECT * FROM subscriptions WHERE organization_id = $1::uuid "
    "AND status IN ('trialing', 'active', 'past_due', 'unpaid', 'paused')), "
    "p AS (SELECT pl.slug, pl.name, pl.included_units * CASE WHEN (SELECT billing_interval FROM s) = 'year' THEN 12 "
    "ELSE 1 END AS included_units, pl.quota_policy, "
    "COALESCE((SELECT current_period_start FROM s), date_trunc('month', now(), 'UTC')) AS ps, "
    "COALESCE((SELECT current_period_end FROM s), date_trunc('month', now(), 'UTC') + interval '1 month') AS pe "
    "FROM plans pl WHERE pl.id = COALESCE((SELECT plan_id FROM s), (SELECT id FROM plans WHERE slug = 'free'))) "
    "SELECT p.slug, p.name, p.included_units, p.quota_policy, "
    "to_char(p.ps AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS ps, "
    "to_char(p.pe AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS pe, "
    "(SELECT COALESCE(sum(cost_units), 0) FROM usage_rollups r WHERE r.organization_id = $1::uuid "
    "AND r.bucket = 'hour' AND r.bucket_start >= date_trunc('hour', p.ps) AND r.bucket_start < p.pe)::bigint AS used "
    "FROM p"};

constexpr std::int64_t kHour = 3600 * 1000, kDay = 24 * kHour;

struct Range {
  std::int64_t from_ms = 0, to_ms = 0;
};

Error bad(const char* field, const std::string& why) {
  Error e = Error::of(ErrorCode::ValidationFailed, "One or more query parameters are invalid.");
  e.fields.push_back({field, why});
  return e;
}

Result<Range> range_of(const Request& req, std::int64_t now, std::int64_t max_days) {
  Range r;
  r.to_ms = now;
  if (auto t = req.query_param("to")) {
    auto v = parse_rfc3339_ms(*t);
    if (!v) return bad("to", "must be an RFC 3339 date-time");
    r.to_ms = *v;
  }
  r.from_ms = r.to_ms - 30 * kDay;
  if (auto f = req.query_param("from")) {
    auto v = parse_rfc3339_ms(*f);
    if (!v) return bad("from", "must be an RFC 3339 date-time");
    r.from_ms = *v;
  }
  if (r.from_ms >= r.to_ms) return bad("from", "must be before to");
  if (r.to_ms - r.from_ms > max_days * kDay)
    return bad("to", "must be at most " + std::to_string(max_days) + " days after from");
  return r;
}

std::int64_t floor_to(std::int64_t ms, std::int64_t unit) {
  return ms - (((ms % unit) + unit) % unit);
}
std::int64_t ceil_to(std::int64_t ms, std::int64_t unit) {
  const std::int64_t f = floor_to(ms, unit);
  return f == ms ? ms : f + unit;
}

// $1 org, $2/$3 the hour-aligned range, $4 key filter, $5/$6 the whole days inside it (empty when none).
db::Params range_params(const std::string& org, std::int64_t from, std::int64_t to, const std::string& key) {
  std::int64_t day_from = ceil_to(from, kDay), day_to = floor_to(to, kDay);
  if (day_from >= day_to) day_from = day_to = from;
  return db::Params{org, format_rfc3339_ms(from),     format_rfc3339_ms(to),
                    key, format_rfc3339_ms(day_from), format_rfc3339_ms(day_to)};
}

Result<std::string> key_filter(const Request& req) {
  std::string key = req.query_param("keyId").value_or("");
  if (!key.empty() && !auth::is_uuid(key)) return bad("keyId", "must be a UUID");
  return key;
}

bool signed_in(const Request& req) {
  return !req.user_id.empty() && !req.account_id.empty();
}

Response json_ok(const nlohmann::json& body) {
  Response res = Response::json(200, body);
  res.set("Cache-Control", "no-store");
  return res;
}

}  // namespace

void register_routes(http::Router& router, UsageRepository& repo, const Clock& clock) {
  router.add("GET", "/api/user/usage/summary", [&repo, &clock](Request& req) -> Task<Response> {
    if (!signed_in(req)) co_return http::problem(auth::unauthorized(), req.request_id);
    auto range = range_of(req, clock.now_ms(), 400);
    if (!range) co_return http::problem(range.error(), req.request_id);
    auto key = key_filter(req);
    if (!key) co_return http::problem(key.error(), req.request_id);
    const std::int64_t from = floor_to(range->from_ms, kHour), to = ceil_to(range->to_ms, kHour);
    cache::ResponseCache::Lookup cached;
    const std::string cache_key = "summary:" + std::to_string(from) + ":" + std::to_string(to) + ":" + key.value();
    const std::string org = req.account_id;
    if (repo.cache()) {
      cached = co_await repo.cache()->get(org, cache_key);
      if (cached.body) {
        Response hit = Response::text(200, *cached.body, "application/json");
        hit.set("Cache-Control", "no-store");
        hit.set("X-Cache", "hit");
        co_return hit;
      }
    }
    db::Params p = range_params(req.account_id, from, to, key.value());
    auto r = co_await repo.read().query(kSummary, std::move(p));
    if (!r) co_return http::problem(r.error(), req.request_id);
    const std::int64_t requests = r->integer(0, "requests"), errors = r->integer(0, "errors");
    const nlohmann::json out = {
        {"from", format_rfc3339_ms(from)},
        {"to", format_rfc3339_ms(to)},
        {"requests", requests},
        {"costUnits", r->integer(0, "cost")},
        {"errors", errors},
        {"serverErrors", r->integer(0, "server_errors")},
        {"rejected", r->integer(0, "rejected")},
        {"errorRate", requests ? static_cast<double>(errors) / static_cast<double>(requests) : 0.0},
        {"latencyP50Ms", percentile_ms(r.value(), 0, 0.5)},
        {"latencyP95Ms", percentile_ms(r.value(), 0, 0.95)}};
    if (repo.cache()) {
      std::string body = out.dump();
      co_await repo.cache()->put(org, cached.version, cache_key, body);
      Response miss = json_ok(out);
      miss.set("X-Cache", "miss");
      co_return miss;
    }
    co_return json_ok(out);
  });

  router.add("GET", "/api/user/usage/timeseries", [&repo, &clock](Request& req) -> Task<Response> {
    if (!signed_in(req)) co_return http::problem(auth::unauthorized(), req.request_id);
    auto range = range_of(req, clock.now_ms(), 400);
    if (!range) co_return http::problem(range.error(), req.request_id);
    auto key = key_filter(req);
    if (!key) co_return http::problem(key.error(), req.request_id);
    std::string granularity = req.query_param("granularity").value_or("");
    if (granularity.empty()) granularity = range->to_ms - range->from_ms <= 3 * kDay ? "hour" : "day";
    if (granularity != "hour" && granularity != "day") {
      co_return http::problem(bad("granularity", "must be hour or day"), req.request_id);
    }
    const std::int64_t unit = granularity == "day" ? kDay : kHour;
    const std::int64_t from = floor_to(range->from_ms, unit), to = ceil_to(range->to_ms, unit);
    if ((to - from) / unit > 2000) {
      co_return http::problem(bad("granularity", "gives more than 2000 points for this range; use day"),
                              req.request_id);
    }
    db::Params p{req.account_id, format_rfc3339_ms(from), format_rfc3339_ms(to), key.value(), granularity};
    auto r = co_await repo.read().query(kSeries, std::move(p));
    if (!r) co_return http::problem(r.error(), req.request_id);
    nlohmann::json points = nlohmann::json::array();
    for (int i = 0; i < r->size(); ++i) {
      points.push_back({{"t", std::string(r->get(i, "t"))},
                        {"requests", r->integer(i, "requests")},
                        {"errors", r->integer(i, "errors")},
                        {"costUnits", r->integer(i, "cost")},
                        {"latencyP50Ms", percentile_ms(r.value(), i, 0.5)},
                        {"latencyP95Ms", percentile_ms(r.value(), i, 0.95)}});
    }
    co_return json_ok(nlohmann::json{{"granularity", granularity}, {"points", points}});
  });

  router.add("GET", "/api/user/usage/by-endpoint", [&repo, &clock](Request& req) -> Task<Response> {
    if (!signed_in(req)) co_return http::problem(auth::unauthorized(), req.request_id);
    auto range = range_of(req, clock.now_ms(), 400);
    if (!range) co_return http::problem(range.error(), req.request_id);
    auto key = key_filter(req);
    if (!key) co_return http::problem(key.error(), req.request_id);
    db::Params p =
        range_params(req.account_id, floor_to(range->from_ms, kHour), ceil_to(range->to_ms, kHour), key.value());
    auto r = co_await repo.read().query(kByEndpoint, std::move(p));
    if (!r) co_return http::problem(r.error(), req.request_id);
    nlohmann::json items = nlohmann::json::array();
    for (int i = 0; i < r->size(); ++i) {
      items.push_back({{"method", std::string(r->get(i, "method"))},
                       {"endpoint", std::string(r->get(i, "endpoint"))},
                       {"requests", r->integer(i, "requests")},
                       {"errors", r->integer(i, "errors")},
                       {"costUnits", r->integer(i, "cost")},
                       {"latencyP50Ms", percentile_ms(r.value(), i, 0.5)},
                       {"latencyP95Ms", percentile_ms(r.value(), i, 0.95)}});
    }
    co_return json_ok(nlohmann::json{{"items", items}});
  });

  router.add("GET", "/api/user/usage/detailed", [&repo, &clock](Request& req) -> Task<Response> {
    if (!signed_in(req)) co_return http::problem(auth::unauthorized(), req.request_id);
    auto range = range_of(req, clock.now_ms(), 400);
    if (!range) co_return http::problem(range.error(), req.request_id);
    auto key = key_filter(req);
    if (!key) co_return http::problem(key.error(), req.request_id);
    const std::string endpoint = req.query_param("endpoint").value_or("");
    if (endpoint.size() > 512)
      co_return http::problem(bad("endpoint", "must be at most 512 characters"), req.request_id);
    int status_class = 0;
    if (auto sc = req.query_param("statusClass")) {
      if (*sc == "2xx")
        status_class = 2;
      else if (*sc == "3xx")
        status_class = 3;
      else if (*sc == "4xx")
        status_class = 4;
      else if (*sc == "5xx")
        status_class = 5;
      else
        co_return http::problem(bad("statusClass", "must be 2xx, 3xx, 4xx or 5xx"), req.request_id);
    }
    int limit = 100;
    if (auto l = req.query_param("limit")) {
      int v = 0;
      auto [ptr, ec] = std::from_chars(l->data(), l->data() + l->size(), v);
      if (ec != std::errc() || ptr != l->data() + l->size() || v < 1 || v > 500) {
        co_return http::problem(bad("limit", "must be an integer from 1 to 500"), req.request_id);
      }
      limit = v;
    }
    // Cursor "<occurred_at µs>_<event id>" of the last row of the previous page.
    std::string cursor_us = std::to_string(range->to_ms * 1000);
    std::string cursor_id = "ffffffff-ffff-ffff-ffff-ffffffffffff";
    if (auto c = req.query_param("cursor")) {
      const auto us = c->find('_');
      std::int64_t v = 0;
      const bool ok = us != std::string::npos && std::from_chars(c->data(), c->data() + us, v).ec == std::errc() &&
                      auth::is_uuid(std::string_view(*c).substr(us + 1));
      if (!ok) co_return http::problem(bad("cursor", "is not a cursor from nextCursor"), req.request_id);
      cursor_us = std::to_string(v);
      cursor_id = c->substr(us + 1);
    }
    db::Params p{req.account_id,
                 format_rfc3339_ms(range->from_ms),
                 format_rfc3339_ms(range->to_ms),
                 key.value(),
                 endpoint,
                 std::to_string(status_class),
                 cursor_us,
                 cursor_id,
                 std::to_string(limit + 1)};
    auto r = co_await repo.read().query(kDetailed, std::move(p));
    if (!r) co_return http::problem(r.error(), req.request_id);
    nlohmann::json items = nlohmann::json::array();
    const int n = std::min(r->size(), limit);
    for (int i = 0; i < n; ++i) {
      auto rid = r->opt(i, "request_id");
      items.push_back({{"id", std::string(r->get(i, "id"))},
                       {"occurredAt", std::string(r->get(i, "t"))},
                       {"keyId", std::string(r->get(i, "key_id"))},
                       {"source", std::string(r->get(i, "source"))},
                       {"method", std::string(r->get(i, "method"))},
                       {"endpoint", std::string(r->get(i, "endpoint"))},
                       {"statusCode", r->integer(i, "status_code")},
                       {"code", std::string(r->get(i, "code"))},
                       {"cost", r->integer(i, "cost")},
                       {"latencyMs", static_cast<double>(r->integer(i, "latency_us")) / 1000.0},
                       {"requestBytes", r->integer(i, "request_bytes")},
                       {"responseBytes", r->integer(i, "response_bytes")},
                       {"requestId", rid ? nlohmann::json(*rid) : nlohmann::json(nullptr)}});
    }
    nlohmann::json next = nullptr;
    if (r->size() > limit && n > 0) {
      next = std::string(r->get(n - 1, "t_us")) + "_" + std::string(r->get(n - 1, "id"));
    }
    co_return json_ok(nlohmann::json{{"items", items}, {"nextCursor", next}});
  });

  router.add("GET", "/api/user/usage/monthly/{year}/{month}", [&repo](Request& req) -> Task<Response> {
    if (!signed_in(req)) co_return http::problem(auth::unauthorized(), req.request_id);
    int year = 0, month = 0;
    const auto ys = req.param("year"), ms = req.param("month");
    auto yr = std::from_chars(ys.data(), ys.data() + ys.size(), year);
    auto mr = std::from_chars(ms.data(), ms.data() + ms.size(), month);
    if (yr.ec != std::errc() || yr.ptr != ys.data() + ys.size() || year < 2000 || year > 2200) {
      co_return http::problem(bad("year", "must be a year from 2000 to 2200"), req.request_id);
    }
    if (mr.ec != std::errc() || mr.ptr != ms.data() + ms.size() || month < 1 || month > 12) {
      co_return http::problem(bad("month", "must be from 1 to 12"), req.request_id);
    }
    char from[32], to[32];
    std::snprintf(from, sizeof from, "%04d-%02d-01T00:00:00Z", year, month);
    std::snprintf(to, sizeof to, "%04d-%02d-01T00:00:00Z", month == 12 ? year + 1 : year, month == 12 ? 1 : month + 1);
    db::Params p{req.account_id, std::string(from), std::string(to)};
    auto r = co_await repo.read().query(kMonthly, std::move(p));
    if (!r) co_return http::problem(r.error(), req.request_id);
    nlohmann::json days = nlohmann::json::array();
    std::int64_t requests = 0, cost = 0, errors = 0;
    for (int i = 0; i < r->size(); ++i) {
      requests += r->integer(i, "requests");
      cost += r->integer(i, "cost");
      errors += r->integer(i, "errors");
      days.push_back({{"date", std::string(r->get(i, "d"))},
                      {"requests", r->integer(i, "requests")},
                      {"costUnits", r->integer(i, "cost")},
                      {"errors", r->integer(i, "errors")}});
    }
    co_return json_ok(nlohmann::json{{"year", year},
                                     {"month", month},
                                     {"requests", requests},
                                     {"costUnits", cost},
                                     {"errors", errors},
                                     {"days", days}});
  });

  router.add("GET", "/api/user/usage/quota", [&repo](Request& req) -> Task<Response> {
    if (!signed_in(req)) co_return http::problem(auth::unauthorized(), req.request_id);
    db::Params p{req.account_id};
    auto r = co_await repo.db().query(kQuota, std::move(p));
    if (!r) co_return http::problem(r.error(), req.request_id);
    if (r->empty()) co_return http::problem(Error::of(ErrorCode::Internal, "no plan"), req.request_id);
    const std::int64_t included = r->integer(0, "included_units"), used = r->integer(0, "used");
    const std::string policy(r->get(0, "quota_policy"));
    const bool unlimited = policy != "hard_cap" && included == 0;
    nlohmann::json limit = unlimited ? nlohmann::json(nullptr) : nlohmann::json(included);
    nlohmann::json remaining =
        unlimited ? nlohmann::json(nullptr) : nlohmann::json(std::max<std::int64_t>(0, included - used));
    nlohmann::json percent = nullptr;
    if (!unlimited && included > 0) percent = 100.0 * static_cast<double>(used) / static_cast<double>(included);
    const nlohmann::json out = {
        {"plan", {{"slug", std::string(r->get(0, "slug"))}, {"name", std::string(r->get(0, "name"))}}},
        {"limit", limit},
        {"used", used},
        {"remaining", remaining},
        {"percent", percent},
        {"policy", policy},
        {"periodStart", std::string(r->get(0, "ps"))},
        {"resetsAt", std::string(r->get(0, "pe"))}};
    co_return json_ok(out);
  });

  router.add("GET", "/api/user/usage/export", [&repo, &clock](Request& req) -> Task<Response> {
    if (!signed_in(req)) co_return http::problem(auth::unauthorized(), req.request_id);
    auto range = range_of(req, clock.now_ms(), 31);
    if (!range) co_return http::problem(range.error(), req.request_id);
    auto key = key_filter(req);
    if (!key) co_return http::problem(key.error(), req.request_id);
    std::string csv =
        "occurredAt,keyId,method,endpoint,statusCode,code,cost,latencyMs,requestBytes,responseBytes,requestId\r\n";
    std::string cursor_us = std::to_string(range->to_ms * 1000);
    std::string cursor_id = "ffffffff-ffff-ffff-ffff-ffffffffffff";
    constexpr int kPage = 5000;
    // Paged through the same keyset query as `detailed`; at most 200,000 rows per export.
    for (int page = 0; page < 40; ++page) {
      db::Params p{req.account_id,
                   format_rfc3339_ms(range->from_ms),
                   format_rfc3339_ms(range->to_ms),
                   key.value(),
                   std::string(),
                   std::string("0"),
                   cursor_us,
                   cursor_id,
                   std::to_string(kPage)};
      auto r = co_await repo.read().query(kDetailed, std::move(p));
      if (!r) co_return http::problem(r.error(), req.request_id);
      for (int i = 0; i < r->size(); ++i) {
        char lat[32];
        std::snprintf(lat, sizeof lat, "%.3f", static_cast<double>(r->integer(i, "latency_us")) / 1000.0);
        csv += std::string(r->get(i, "t")) + "," + std::string(r->get(i, "key_id")) + "," +
               csv_field(r->get(i, "method"), false) + "," + csv_field(r->get(i, "endpoint"), false) + "," +
               std::string(r->get(i, "status_code")) + "," + std::string(r->get(i, "code")) + "," +
               std::string(r->get(i, "cost")) + "," + lat + "," + std::string(r->get(i, "request_bytes")) + "," +
               std::string(r->get(i, "response_bytes")) + "," + csv_field(r->opt(i, "request_id").value_or(""), false) +
               "\r\n";
      }
      if (r->size() < kPage) break;
      cursor_us = std::string(r->get(r->size() - 1, "t_us"));
      cursor_id = std::string(r->get(r->size() - 1, "id"));
    }
    Response res;
    res.status = 200;
    res.body = std::move(csv);
    res.set("Content-Type", "text/csv; charset=utf-8");
    res.set("Content-Disposition", "attachment; filename=\"usage-" + format_rfc3339_ms(range->from_ms).substr(0, 10) +
                                       "-to-" + format_rfc3339_ms(range->to_ms).substr(0, 10) + ".csv\"");
    res.set("Cache-Control", "no-store");
    co_return res;
  });
}

}  // namespace tg::usage
