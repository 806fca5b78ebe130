#include "analytics/analytics_repository.hpp"

#include "core/time.hpp"
#include "db/sql_macros.hpp"

namespace tg::analytics {
using nlohmann::json;

namespace {
// $1, $2: first and last day. lo/hi: the UTC instants around them.
#define RANGE                                                                                                 \
  "WITH r AS (SELECT ($1::date)::timestamp AT TIME ZONE 'UTC' AS lo, ($2::date + 1)::timestamp AT TIME ZONE " \
  "'UTC' AS hi) "

// Per-day counters; every (day, metric) of the range is written, zero included, so a recount can lower a value.
const db::Query kRefreshDaily{
    "analytics_refresh_daily", RANGE
    ", m AS ("
    "SELECT (u.created_at AT TIME ZONE 'UTC')::date AS day, 'signups' AS metric, count(*) AS value FROM users u, r "
    "WHERE u.created_at >= r.lo AND u.created_at < r.hi GROUP BY 1 "
    "UNION ALL SELECT (a.created_at AT TIME ZONE 'UTC')::date, 'logins', count(*) FROM audit_log a, r WHERE a.action "
    "IN ('auth.login.succeeded', 'auth.2fa.verified') AND a.created_at >= r.lo AND a.created_at < r.hi GROUP BY 1 "
    "UNION ALL SELECT x.day, v.metric, v.value FROM (SELECT (bucket_start AT TIME ZONE 'UTC')::date AS day, "
    "count(DISTINCT organization_id) AS orgs, sum(requests) AS requests, sum(errors) AS errors, sum(server_errors) "
    "AS server_errors, sum(rejected) AS rejected, sum(rate_limited) AS rate_limited, sum(quota_rejected) AS "
    "quota_rejected, sum(latency_sum_us) AS latency FROM usage_rollups, r WHERE bucket = 'day' AND bucket_start >= "
    "r.lo AND bucket_start < r.hi GROUP BY 1) x, LATERAL (VALUES ('active_organizations', x.orgs), ('requests', "
    "x.requests), ('errors', x.errors), ('server_errors', x.server_errors), ('rejected', x.rejected), "
    "('rate_limited', x.rate_limited), ('quota_rejected', x.quota_rejected), ('latency_sum_us', x.latency)) "
    "v(metric, value) "
    // Converted: an organization's first paid invoice (works the same with Stripe and local billing).
    "UNION ALL SELECT (f.first_paid AT TIME ZONE 'UTC')::date, 'paid_conversions', count(*) FROM (SELECT "
    "organization_id, min(paid_at) AS first_paid FROM billing_records WHERE status = 'paid' AND amount_paid_minor > "
    "0 GROUP BY 1) f, r WHERE f.first_paid >= r.lo AND f.first_paid < r.hi GROUP BY 1 "
    // Churned: a paid subscription that ended (not a switch between paid plans, which keeps or replaces the row).
    // A plan switch ends the old row and starts its successor in the same statement (same now()): that successor,
    // not whatever the organization has today, decides; so a day's churn never changes after the fact.
    "UNION ALL SELECT (COALESCE(s.ended_at, s.canceled_at) AT TIME ZONE 'UTC')::date, 'churned', count(DISTINCT "
    "s.organization_id) FROM subscriptions s JOIN plans p ON p.id = s.plan_id AND p.price_monthly_minor > 0, r "
    "WHERE s.status IN ('canceled', 'incomplete_expired') AND s.source <> 'manual' AND COALESCE(s.ended_at, "
    "s.canceled_at) >= r.lo AND COALESCE(s.ended_at, s.canceled_at) < r.hi AND NOT EXISTS (SELECT 1 FROM "
    "subscriptions n JOIN plans np ON np.id = n.plan_id AND np.price_monthly_minor > 0 WHERE n.organization_id = "
    "s.organization_id AND n.id <> s.id AND n.created_at >= COALESCE(s.ended_at, s.canceled_at) AND n.created_at <= "
    "COALESCE(s.ended_at, s.canceled_at) + interval '1 minute') GROUP BY 1), "
    "grid AS (SELECT d::date AS day, k.metric FROM generate_series($1::date, $2::date, interval '1 day') d CROSS "
    "JOIN (VALUES ('signups'), ('logins'), ('active_organizations'), ('requests'), ('errors'), ('server_errors'), "
    "('rejected'), ('rate_limited'), ('quota_rejected'), ('latency_sum_us'), ('paid_conversions'), ('churned')) "
    "k(metric)) "
    "INSERT INTO analytics_daily (day, metric, value) SELECT g.day, g.metric, COALESCE(sum(m.value), 0) FROM grid g "
    "LEFT JOIN m ON m.day = g.day AND m.metric = g.metric GROUP BY 1, 2 ON CONFLICT (day, metric) DO UPDATE SET "
    "value = EXCLUDED.value, updated_at = now()"};

const db::Query kRefreshRevenue{
    "analytics_refresh_revenue", RANGE
    "INSERT INTO analytics_daily (day, metric, value) SELECT (b.paid_at AT TIME ZONE 'UTC')::date, 'revenue:' "
    "|| b.currency, sum(b.amount_paid_minor) FROM billing_records b, r WHERE b.status = 'paid' AND b.paid_at >= r.lo "
    "AND b.paid_at < r.hi GROUP BY 1, 2 ON CONFLICT (day, metric) DO UPDATE SET value = EXCLUDED.value, updated_at "
    "= now()"};

// Also marks each day's 100 busiest organizations (ties by id), in the same statement.
const db::Query kRefreshOrgs{
    "analytics_refresh_orgs", RANGE
    "INSERT INTO analytics_org_daily (day, organization_id, requests, errors, cost_units, top) SELECT g.day, g.org, "
    "g.requests, g.errors, g.cost, row_number() OVER (PARTITION BY g.day ORDER BY g.requests DESC, g.org) <= 100 "
    "FROM (SELECT (bucket_start AT TIME ZONE 'UTC')::date AS day, organization_id AS org, sum(requests) AS "
    "requests, sum(errors) AS errors, sum(cost_units) AS cost FROM usage_rollups, r WHERE bucket = 'day' AND "
    "bucket_start >= r.lo AND bucket_start < r.hi GROUP BY 1, 2) g ON CONFLICT (day, organization_id) DO UPDATE SET "
    "requests = EXCLUDED.requests, errors = EXCLUDED.errors, cost_units = EXCLUDED.cost_units, top = EXCLUDED.top"};

const db::Query kRefreshEndpoints{
    "analytics_refresh_endpoints", RANGE
    "INSERT INTO analytics_endpoint_daily (day, method, endpoint, requests, errors, latency_sum_us) SELECT "
    "(bucket_start AT TIME ZONE 'UTC')::date, method, endpoint, sum(requests), sum(errors), sum(latency_sum_us) FROM "
    "usage_rollups, r WHERE bucket = 'day' AND bucket_start >= r.lo AND bucket_start < r.hi GROUP BY 1, 2, 3 ON "
    "CONFLICT (day, method, endpoint) DO UPDATE SET requests = EXCLUDED.requests, errors = EXCLUDED.errors, "
    "latency_sum_us = EXCLUDED.latency_sum_us"};

// MRR: what the current paying subscriptions bring in a month (annual prices / 12), by currency; comped plans
// (source manual) and trials pay nothing.
const db::Query kSnapshot{
    "analytics_snapshot",
    "WITH paying AS (SELECT s.organization_id, p.currency, CASE WHEN s.billing_interval = 'year' THEN "
    "COALESCE(p.price_annual_minor, p.price_monthly_minor * 12) / 12 ELSE p.price_monthly_minor END AS monthly FROM "
    "subscriptions s JOIN plans p ON p.id = s.plan_id WHERE s.status IN ('active', 'past_due') AND s.source <> "
    "'manual' AND p.price_monthly_minor > 0), "
    "v AS (SELECT 'mrr:' || c.currency AS metric, COALESCE((SELECT sum(monthly) FROM paying WHERE paying.currency = "
    "c.currency), 0)::bigint AS value FROM (SELECT DISTINCT currency FROM plans) c "
    "UNION ALL SELECT 'paying_organizations', (SELECT count(DISTINCT organization_id) FROM paying) "
    "UNION ALL SELECT 'users_total', (SELECT count(*) FROM users WHERE status <> 'deleted')) "
    "INSERT INTO analytics_daily (day, metric, value) SELECT (now() AT TIME ZONE 'UTC')::date, v.metric, v.value "
    "FROM v ON CONFLICT (day, metric) DO UPDATE SET value = EXCLUDED.value, updated_at = now()"};

// One refresh at a time across instances (another one in progress does the same work).
const db::Query kTryLock{"analytics_try_lock",
                         "SELECT pg_try_advisory_xact_lock(hashtext('tollgate.analytics')) AS locked"};

const db::Query kBackfillDone{"analytics_backfill_done", "SELECT 1 FROM job_cursors WHERE name = 'analytics.backfill'"};
const db::Query kBackfillMark{"analytics_backfill_mark",
                              "INSERT INTO job_cursors (name, cursor) VALUES ('analytics.backfill', "
                              "jsonb_build_object('at', now())) ON CONFLICT (name) DO NOTHING"};
const db::Query kToday{"analytics_today",
                       "SELECT to_char((now() AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD') AS today, "
                       "to_char((now() AT TIME ZONE 'UTC')::date - $1::int, 'YYYY-MM-DD') AS start"};

const db::Query kDaily{"analytics_daily",
                       "SELECT to_char(day, 'YYYY-MM-DD') AS day, jsonb_object_agg(metric, value)::text AS m FROM "
                       "analytics_daily WHERE day BETWEEN $1::date AND $2::date GROUP BY day ORDER BY day"};
// The latest snapshot up to `to`, and the one at (or just before) `from` for the churn rate's denominator.
const db::Query kSnapshots{
    "analytics_snapshots",
    "SELECT COALESCE((SELECT jsonb_object_agg(metric, value) FROM analytics_daily WHERE day = (SELECT max(day) FROM "
    "analytics_daily WHERE metric = 'paying_organizations' AND day <= $2::date) AND (metric LIKE 'mrr:%' OR metric "
    "IN ('paying_organizations', 'users_total'))), '{}'::jsonb)::text AS latest, (SELECT value FROM analytics_daily "
    "WHERE metric = 'paying_organizations' AND day <= $1::date ORDER BY day DESC LIMIT 1) AS paying_at_start"};
const db::Query kRevenue{
    "analytics_revenue_by_month",
    "SELECT COALESCE(jsonb_agg(jsonb_build_object('month', x.month, 'currency', x.currency, 'amount', x.amount) "
    "ORDER BY x.month, x.currency), '[]'::jsonb)::text FROM (SELECT to_char(day, 'YYYY-MM') AS month, "
    "split_part(metric, ':', 2) AS currency, sum(value)::bigint AS amount FROM analytics_daily WHERE metric LIKE "
    "'revenue:%' AND day >= (date_trunc('month', $1::date) - interval '11 months')::date AND day <= $1::date GROUP "
    "BY 1, 2) x"};
const db::Query kTopOrgs{
    "analytics_top_organizations",
    "SELECT COALESCE(jsonb_agg(jsonb_build_object('id', t.organization_id, 'name', o.name, 'requests', t.requests, "
    "'errors', t.errors, 'costUnits', t.cost_units) ORDER BY t.requests DESC, t.organization_id), '[]'::jsonb)::text "
    // Candidates: the 50 organizations with the most requests on the days they were among a day's top 100; then
    // their exact totals over the range.
    "FROM (SELECT a.organization_id, sum(a.requests)::bigint AS requests, sum(a.errors)::bigint AS errors, "
    "sum(a.cost_units)::bigint AS cost_units FROM (SELECT organization_id FROM analytics_org_daily WHERE top AND day "
    "BETWEEN $1::date AND $2::date GROUP BY 1 ORDER BY sum(requests) DESC, organization_id LIMIT 50) c JOIN "
    "analytics_org_daily a ON a.organization_id = c.organization_id AND a.day BETWEEN $1::date AND $2::date GROUP "
    "BY 1 ORDER BY 2 DESC, 1 LIMIT 10) t JOIN organizations o ON o.id = t.organization_id"};
const db::Query kTopEndpoints{
    "analytics_top_endpoints",
    "SELECT COALESCE(jsonb_agg(jsonb_build_object('method', t.method, 'endpoint', t.endpoint, 'requests', "
    "t.requests, 'errors', t.errors, 'avgLatencyMs', CASE WHEN t.requests > 0 THEN round(t.latency::numeric / "
    "t.requests / 1000, 3) ELSE 0 END) ORDER BY t.requests DESC, t.method, t.endpoint), '[]'::jsonb)::text FROM "
    "(SELECT method, endpoint, sum(requests)::bigint AS requests, sum(errors)::bigint AS errors, "
    "sum(latency_sum_us)::bigint AS latency FROM analytics_endpoint_daily WHERE day BETWEEN $1::date AND $2::date "
    "GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 10) t"};

const char* const kDailyMetrics[] = {
    "signups",  "logins",       "active_organizations", "requests",         "errors", "server_errors",
    "rejected", "rate_limited", "quota_rejected",       "paid_conversions", "churned"};

std::string camel(std::string_view snake) {
  std::string out;
  bool up = false;
  for (char c : snake) {
    if (c == '_') {
      up = true;
    } else {
      out += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
      up = false;
    }
  }
  return out;
}
}  // namespace

Task<Status> AnalyticsRepository::refresh(const std::string& from, const std::string& to) {
  auto tx = co_await db_.begin();
  if (!tx) co_return tx.error();
  auto& t = tx.value();
  db::Params none;
  auto locked = co_await t.query(kTryLock, std::move(none));
  if (!locked) co_return locked.error();
  if (!locked->boolean(0, "locked")) {
    co_await t.rollback();
    co_return ok_status();
  }
  for (const db::Query* q : {&kRefreshDaily, &kRefreshRevenue, &kRefreshOrgs, &kRefreshEndpoints}) {
    db::Params p{from, to};
    auto r = co_await t.query(*q, std::move(p));
    if (!r) co_return r.error();
  }
  co_return co_await t.commit();
}

Task<Status> AnalyticsRepository::snapshot() {
  db::Params none;
  auto r = co_await db_.query(kSnapshot, std::move(none));
  if (!r) co_return r.error();
  co_return ok_status();
}

Task<Status> AnalyticsRepository::backfill_once() {
  db::Params none;
  auto done = co_await db_.query(kBackfillDone, std::move(none));
  if (!done) co_return done.error();
  if (!done->empty()) co_return ok_status();
  db::Params days{std::string("400")};
  auto today = co_await db_.query(kToday, std::move(days));
  if (!today) co_return today.error();
  const std::string from(today->get(0, "start"));
  const std::string to(today->get(0, "today"));
  // Two weeks per transaction, oldest first: each stays far below the statement timeout on a large install.
  constexpr std::int64_t kDay = 86'400'000;
  const std::int64_t end = parse_rfc3339_ms(to + "T00:00:00Z").value_or(0);
  for (std::int64_t lo = parse_rfc3339_ms(from + "T00:00:00Z").value_or(end); lo <= end; lo += 14 * kDay) {
    const std::string a = format_rfc3339_ms(lo).substr(0, 10);
    const std::string b = format_rfc3339_ms(std::min(end, lo + 13 * kDay)).substr(0, 10);
    if (auto r = co_await refresh(a, b); !r) co_return r.error();
  }
  db::Params mark;
  auto m = co_await db_.query(kBackfillMark, std::move(mark));
  if (!m) co_return m.error();
  co_return ok_status();
}

Task<Result<json>> AnalyticsRepository::report(const std::string& from, const std::string& to) {
  db::Params p1{from, to};
  auto daily = co_await read_.query(kDaily, std::move(p1));
  if (!daily) co_return daily.error();
  json days = json::array();
  json totals = json::object();
  for (const char* m : kDailyMetrics) totals[camel(m)] = 0;
  std::int64_t latency_sum = 0;
  for (int i = 0; i < daily->size(); ++i) {
    const json m = json::parse(daily->get(i, "m"));
    json day = {{"day", std::string(daily->get(i, "day"))}};
    for (const char* k : kDailyMetrics) {
      const std::int64_t v = m.value(k, std::int64_t{0});
      day[camel(k)] = v;
      if (std::string_view(k) != "active_organizations") totals[camel(k)] = totals[camel(k)].get<std::int64_t>() + v;
    }
    const std::int64_t requests = m.value("requests", std::int64_t{0});
    const std::int64_t latency = m.value("latency_sum_us", std::int64_t{0});
    latency_sum += latency;
    day["avgLatencyMs"] = requests > 0 ? static_cast<double>(latency) / static_cast<double>(requests) / 1000.0 : 0.0;
    days.push_back(std::move(day));
  }
  // Active organizations over a range are not the sum of the days: the peak day stands for the range.
  std::int64_t peak = 0;
  for (const auto& d : days) peak = std::max(peak, d["activeOrganizations"].get<std::int64_t>());
  totals["activeOrganizations"] = peak;
  const std::int64_t total_requests = totals["requests"].get<std::int64_t>();
  totals["avgLatencyMs"] =
      total_requests > 0 ? static_cast<double>(latency_sum) / static_cast<double>(total_requests) / 1000.0 : 0.0;

  db::Params p2{from, to};
  auto snaps = co_await read_.query(kSnapshots, std::move(p2));
  if (!snaps) co_return snaps.error();
  const json latest = json::parse(snaps->get(0, "latest"));
  json mrr = json::array();
  for (const auto& [k, v] : latest.items()) {
    if (k.rfind("mrr:", 0) == 0)
      mrr.push_back({{"currency", k.substr(4)}, {"amount", v}, {"arr", v.get<std::int64_t>() * 12}});
  }
  const std::int64_t paying = latest.value("paying_organizations", std::int64_t{0});
  std::optional<std::int64_t> paying_at_start;
  if (auto v = snaps->opt(0, "paying_at_start")) paying_at_start = std::stoll(*v);
  const std::int64_t signups = totals["signups"].get<std::int64_t>();
  const std::int64_t conversions = totals["paidConversions"].get<std::int64_t>();
  const std::int64_t churned = totals["churned"].get<std::int64_t>();
  const std::int64_t base = paying_at_start.value_or(paying);

  db::Params p3{to};
  auto revenue = co_await read_.query(kRevenue, std::move(p3));
  if (!revenue) co_return revenue.error();
  db::Params p4{from, to};
  auto orgs = co_await read_.query(kTopOrgs, std::move(p4));
  if (!orgs) co_return orgs.error();
  db::Params p5{from, to};
  auto endpoints = co_await read_.query(kTopEndpoints, std::move(p5));
  if (!endpoints) co_return endpoints.error();

  json out = {{"from", from},
              {"to", to},
              {"daily", days},
              {"totals", totals},
              {"mrr", mrr},
              {"payingOrganizations", paying},
              {"usersTotal", latest.value("users_total", std::int64_t{0})},
              {"conversionRate", signups > 0 ? static_cast<double>(conversions) / static_cast<double>(signups) : 0.0},
              {"churnRate", base > 0 ? static_cast<double>(churned) / static_cast<double>(base) : 0.0},
              {"revenueByMonth", json::parse(revenue->get(0, 0))},
              {"topOrganizations", json::parse(orgs->get(0, 0))},
              {"topEndpoints", json::parse(endpoints->get(0, 0))}};
  co_return out;
}

}  // namespace tg::analytics
