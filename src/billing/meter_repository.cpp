// BillingRepository: the ledger of usage reported to Stripe Billing Meters (usage_meter_reports) and its cursor.
#include <ctime>

#include "billing/billing_repository.hpp"
#include "billing/sql_json.hpp"

namespace tg::billing {
namespace {
// Overage per organization × UTC hour of the current period, from the rollups: the hour's share of the units
// beyond the included ones (cumulative over the period, so the split is exact and sums to the period's overage).
// What the ledger already holds for an hour is subtracted; the rest becomes a new row with the next seq (units
// that arrived late for an hour already reported). Only whole hours before $1 are reported, and only hours from
// the cursor's lookback on are scanned for new rows. Identifiers are deterministic: a concurrent instance
// computing the same row collides on the UNIQUE identifier instead of reporting twice.
const db::Query kPlanMeterReports{
    "billing_plan_meter_reports",
    "WITH subs AS (SELECT s.id AS sid, s.organization_id AS org, p.slug, p.included_units * CASE WHEN s.billing_interval = 'year' THEN 12 ELSE 1 END AS inc, "
    "s.current_period_start AS ps, s.current_period_end AS pe FROM subscriptions s JOIN plans p ON p.id = s.plan_id "
    "JOIN organizations o ON o.id = s.organization_id WHERE s.source = 'stripe' AND s.status IN " CURRENT_STATUSES
    " AND p.stripe_price_metered_id IS NOT NULL AND p.stripe_meter_id IS NOT NULL AND p.type <> 'SUBSCRIPTION' "
    "AND p.overage_price_minor > 0 "
    "AND o.stripe_customer_id IS NOT NULL), "
    "hours AS (SELECT subs.sid, subs.org, subs.slug, subs.inc, r.bucket_start AS h, sum(r.cost_units)::bigint AS units "
    "FROM subs JOIN usage_rollups r ON r.organization_id = subs.org AND r.bucket = 'hour' "
    "AND r.bucket_start >= date_trunc('hour', subs.ps) AND r.bucket_start < LEAST(subs.pe, $1::timestamptz) "
    "GROUP BY subs.sid, subs.org, subs.slug, subs.inc, r.bucket_start), "
    "cum AS (SELECT hours.*, sum(units) OVER (PARTITION BY sid ORDER BY h) AS cum_after FROM hours), "
    "over AS (SELECT cum.*, GREATEST(cum_after - inc, 0) - GREATEST(cum_after - units - inc, 0) AS over_units "
    "FROM cum WHERE h >= $2::timestamptz), "
    "rep AS (SELECT m.organization_id, m.bucket_start, sum(m.units)::bigint AS done, max(m.seq) AS maxseq "
    "FROM usage_meter_reports m JOIN over ON over.org = m.organization_id AND over.h = m.bucket_start "
    "GROUP BY m.organization_id, m.bucket_start) "
    "INSERT INTO usage_meter_reports (organization_id, subscription_id, bucket_start, seq, units, identifier, "
    "stripe_meter_event_name) SELECT over.org, over.sid, over.h, COALESCE(rep.maxseq + 1, 0), "
    "over.over_units - COALESCE(rep.done, 0), 'tg-' || over.org || '-' || to_char(over.h AT TIME ZONE 'UTC', "
    "'YYYYMMDDHH24') || '-' || COALESCE(rep.maxseq + 1, 0), 'tollgate_units_' || replace(over.slug, '-', '_') "
    "FROM over LEFT JOIN rep ON rep.organization_id = over.org AND rep.bucket_start = over.h "
    "WHERE over.over_units - COALESCE(rep.done, 0) > 0 ON CONFLICT DO NOTHING"};

const db::Query kUnsentMeterReports{
    "billing_unsent_meter_reports",
    "SELECT m.id::text AS id, m.identifier, m.units, m.stripe_meter_event_name AS event, "
    "extract(epoch FROM m.bucket_start)::bigint AS bucket, o.stripe_customer_id AS customer "
    "FROM usage_meter_reports m JOIN organizations o ON o.id = m.organization_id "
    "WHERE m.status <> 'sent' AND o.stripe_customer_id IS NOT NULL ORDER BY m.created_at LIMIT $1::int"};

const db::Query kMarkMeterReport{
    "billing_mark_meter_report",
    "UPDATE usage_meter_reports SET status = $2, attempts = attempts + 1, last_error = NULLIF(left($3, 2000), ''), "
    "sent_at = CASE WHEN $2 = 'sent' THEN now() ELSE sent_at END WHERE id = $1::uuid"};

const db::Query kCursor{"billing_cursor", "SELECT extract(epoch FROM position)::bigint AS pos FROM billing_cursors WHERE name = $1"};
const db::Query kSetCursor{
    "billing_set_cursor",
    "INSERT INTO billing_cursors (name, position) VALUES ($1, to_timestamp($2::bigint)) ON CONFLICT (name) DO UPDATE "
    "SET position = GREATEST(billing_cursors.position, EXCLUDED.position), updated_at = now()"};
}  // namespace

namespace {
std::string rfc3339(std::int64_t s) {
  const auto t = static_cast<std::time_t>(s);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}
}  // namespace

Task<Status> BillingRepository::plan_meter_reports(std::int64_t before_s, std::int64_t scan_from_s) {
  db::Params p{rfc3339(before_s), rfc3339(scan_from_s)};
  auto r = co_await db_.query(kPlanMeterReports, std::move(p));
  if (!r) co_return r.error();
  co_return ok_status();
}

Task<Result<std::vector<MeterReport>>> BillingRepository::unsent_meter_reports(int limit) {
  db::Params p{std::to_string(limit)};
  auto r = co_await db_.query(kUnsentMeterReports, std::move(p));
  if (!r) co_return r.error();
  std::vector<MeterReport> out;
  for (int i = 0; i < r->size(); ++i) {
    MeterReport m;
    m.id = std::string(r->get(i, "id"));
    m.identifier = std::string(r->get(i, "identifier"));
    m.units = r->integer(i, "units");
    m.event_name = std::string(r->get(i, "event"));
    m.bucket_start_s = r->integer(i, "bucket");
    m.customer = std::string(r->get(i, "customer"));
    out.push_back(std::move(m));
  }
  co_return out;
}

Task<Status> BillingRepository::mark_meter_report(const std::string& id, const std::string& status,
                                                  const std::string& error) {
  db::Params p{id, status, error};
  auto r = co_await db_.query(kMarkMeterReport, std::move(p));
  if (!r) co_return r.error();
  co_return ok_status();
}

Task<Result<std::optional<std::int64_t>>> BillingRepository::cursor(const std::string& name) {
  db::Params p{name};
  auto r = co_await db_.query(kCursor, std::move(p));
  if (!r) co_return r.error();
  std::optional<std::int64_t> out;
  if (!r->empty()) out = r->integer(0, "pos");
  co_return out;
}

Task<Status> BillingRepository::set_cursor(const std::string& name, std::int64_t position_s) {
  db::Params p{name, std::to_string(position_s)};
  auto r = co_await db_.query(kSetCursor, std::move(p));
  if (!r) co_return r.error();
  co_return ok_status();
}

}  // namespace tg::billing
