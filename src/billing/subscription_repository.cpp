// BillingRepository: the SQL of the subscription flows (plan lookup, billing state, local plan changes, the
// upcoming-invoice estimate).
#include "billing/billing_repository.hpp"
#include "billing/sql_json.hpp"

namespace tg::billing {
namespace {

const db::Query kPlan{
    "billing_plan",
    "SELECT id::text AS id, slug, name, type, status, currency, quota_policy, price_monthly_minor, price_annual_minor, "
    "included_units, overage_price_minor, overage_block_units, trial_days, "
    "COALESCE(stripe_price_monthly_id, '') AS pm, COALESCE(stripe_price_annual_id, '') AS pa, "
    "COALESCE(stripe_price_metered_id, '') AS pmet FROM plans WHERE slug = $1 OR id::text = $1 LIMIT 1"};

const db::Query kBillingState{
    "billing_state",
    "SELECT o.stripe_customer_id, s.id::text AS sid, p.slug, s.source, s.status, s.billing_interval, "
    "COALESCE(s.stripe_subscription_id, '') AS ssid, COALESCE(s.cancel_at_period_end, false) AS cape, "
    "EXISTS (SELECT 1 FROM subscriptions t WHERE t.organization_id = o.id AND t.trial_start IS NOT NULL) AS had_trial "
    "FROM organizations o LEFT JOIN subscriptions s ON s.organization_id = o.id AND s.status IN " CURRENT_STATUSES
    " LEFT JOIN plans p ON p.id = s.plan_id WHERE o.id = $1::uuid"};

// $1 org, $2 plan id ('' = Free: end only), $3 interval, $4 actor, $5 request id, $6 audit detail.
// The current period is kept when the interval stays (the implicit Free plan's period is the calendar month), so
// a change never resets the usage counted against the quota; a new interval starts a new period now.
// `ended` is read by the INSERT's WHERE (an InitPlan), so the old row leaves the one-current index first.
const db::Query kChangeLocalPlan{
    "billing_change_local_plan",
    "WITH cur AS (SELECT id, billing_interval, current_period_start, current_period_end FROM subscriptions "
    "WHERE organization_id = $1::uuid AND status IN " CURRENT_STATUSES " FOR UPDATE), "
    "ended AS (UPDATE subscriptions s SET status = 'canceled', canceled_at = COALESCE(s.canceled_at, now()), "
    "ended_at = now() FROM cur WHERE s.id = cur.id RETURNING s.id), "
    "period AS (SELECT CASE WHEN c.id IS NOT NULL AND c.billing_interval = $3 THEN c.current_period_start "
    "WHEN c.id IS NULL AND $3 = 'month' THEN date_trunc('month', now(), 'UTC') ELSE now() END AS ps, "
    "CASE WHEN c.id IS NOT NULL AND c.billing_interval = $3 THEN c.current_period_end "
    "WHEN c.id IS NULL AND $3 = 'month' THEN date_trunc('month', now(), 'UTC') + interval '1 month' "
    "WHEN $3 = 'year' THEN now() + interval '1 year' ELSE now() + interval '1 month' END AS pe "
    "FROM (SELECT 1) one LEFT JOIN cur c ON true), "
    "audit AS (INSERT INTO audit_log (actor_type, actor_user_id, organization_id, action, target_type, target_id, "
    "request_id, metadata) VALUES ('user', $4::uuid, $1::uuid, 'billing.plan.changed', 'organization', $1, $5, "
    "$6::jsonb)) "
    "INSERT INTO subscriptions (organization_id, plan_id, status, source, billing_interval, current_period_start, "
    "current_period_end) SELECT $1::uuid, NULLIF($2, '')::uuid, 'active', 'local', $3, period.ps, period.pe FROM period "
    "WHERE $2 <> '' AND (SELECT count(*) FROM ended) >= 0"};

const db::Query kSetLocalCancel{
    "billing_set_local_cancel",
    "WITH upd AS (UPDATE subscriptions SET cancel_at_period_end = $2::boolean, "
    "canceled_at = CASE WHEN $2::boolean THEN now() END "
    "WHERE organization_id = $1::uuid AND status IN " CURRENT_STATUSES " AND source <> 'stripe' "
    "AND cancel_at_period_end <> $2::boolean RETURNING id), "
    "audit AS (INSERT INTO audit_log (actor_type, actor_user_id, organization_id, action, target_type, target_id, "
    "request_id) SELECT 'user', $3::uuid, $1::uuid, CASE WHEN $2::boolean THEN 'billing.subscription.cancel_scheduled' "
    "ELSE 'billing.subscription.resumed' END, 'subscription', upd.id::text, $4 FROM upd) "
    "SELECT id FROM upd"};

// Base fee, included units and overage so far; the projection extends this period's pace to its end. Overage is
// priced per block and rounded half up once, exactly as the invoices do (docs/billing.md).
const db::Query kUpcoming{
    "billing_upcoming",
    "WITH s AS (SELECT * FROM subscriptions WHERE organization_id = $1::uuid AND status IN " CURRENT_STATUSES "), "
    "b AS (SELECT p.*, COALESCE(s.current_period_start, date_trunc('month', now(), 'UTC')) AS ps, "
    "COALESCE(s.current_period_end, date_trunc('month', now(), 'UTC') + interval '1 month') AS pe, "
    "CASE WHEN s.billing_interval = 'year' THEN COALESCE(p.price_annual_minor, p.price_monthly_minor * 12) "
    "ELSE p.price_monthly_minor END AS base, p.included_units * CASE WHEN s.billing_interval = 'year' THEN 12 ELSE 1 END AS inc_units "
    "FROM plans p LEFT JOIN s ON true WHERE p.id = COALESCE(s.plan_id, (SELECT id FROM plans WHERE slug = 'free'))), "
    "u AS (SELECT COALESCE(sum(r.cost_units), 0)::bigint AS used FROM usage_rollups r, b "
    "WHERE r.organization_id = $1::uuid AND r.bucket = 'hour' AND r.bucket_start >= date_trunc('hour', b.ps) "
    "AND r.bucket_start < b.pe), "
    "c AS (SELECT b.*, u.used, GREATEST(extract(epoch FROM (LEAST(now(), b.pe) - b.ps)), 1) AS elapsed, "
    "GREATEST(extract(epoch FROM (b.pe - b.ps)), 1) AS span FROM b, u), "
    "d AS (SELECT c.*, CASE WHEN c.quota_policy = 'allow_overage' THEN GREATEST(c.used - c.inc_units, 0) "
    "ELSE 0 END AS over_units, (c.used * c.span / c.elapsed)::bigint AS proj_used FROM c), "
    "e AS (SELECT d.*, (d.over_units * d.overage_price_minor + d.overage_block_units / 2) / d.overage_block_units "
    "AS over_amount, CASE WHEN d.quota_policy = 'allow_overage' THEN GREATEST(GREATEST(d.proj_used, d.used) "
    "- d.inc_units, 0) ELSE 0 END AS proj_over_units FROM d), "
    "f AS (SELECT e.*, (e.proj_over_units * e.overage_price_minor + e.overage_block_units / 2) / "
    "e.overage_block_units AS proj_over_amount FROM e) "
    "SELECT jsonb_build_object('currency', f.currency, 'periodStart', " SQL_TS("f.ps") ", 'periodEnd', " SQL_TS("f.pe") ", "
    "'includedUnits', f.inc_units, 'usedUnits', f.used, 'overageUnits', f.over_units, 'baseFee', f.base, "
    "'overageAmount', f.over_amount, 'total', f.base + f.over_amount, "
    "'projectedUsedUnits', GREATEST(f.proj_used, f.used), 'projectedOverageAmount', f.proj_over_amount, "
    "'projectedTotal', f.base + f.proj_over_amount, "
    "'lines', jsonb_build_array(jsonb_build_object('kind', 'base_fee', 'description', f.name || ' plan', "
    "'quantity', 1, 'unitPrice', f.base, 'unitsPerPrice', 1, 'amount', f.base, 'proration', false), "
    "jsonb_build_object('kind', 'included_units', 'description', 'Included units', 'quantity', "
    "LEAST(f.used, f.inc_units), 'unitPrice', NULL, 'unitsPerPrice', 1, 'amount', 0, 'proration', false), "
    "jsonb_build_object('kind', 'overage', 'description', 'Units beyond the included ones', 'quantity', "
    "f.over_units, 'unitPrice', f.overage_price_minor, 'unitsPerPrice', f.overage_block_units, 'amount', "
    "f.over_amount, 'proration', false)))::text FROM f"};
}  // namespace

Task<Result<std::optional<PlanRef>>> BillingRepository::plan(const std::string& slug_or_id) {
  db::Params p{slug_or_id};
  auto r = co_await db_.query(kPlan, std::move(p));
  if (!r) co_return r.error();
  std::optional<PlanRef> out;
  if (r->empty()) co_return out;
  PlanRef pl;
  pl.id = std::string(r->get(0, "id"));
  pl.slug = std::string(r->get(0, "slug"));
  pl.name = std::string(r->get(0, "name"));
  pl.type = std::string(r->get(0, "type"));
  pl.status = std::string(r->get(0, "status"));
  pl.currency = std::string(r->get(0, "currency"));
  pl.quota_policy = std::string(r->get(0, "quota_policy"));
  pl.price_monthly = r->integer(0, "price_monthly_minor");
  if (!r->is_null(0, r->column("price_annual_minor"))) pl.price_annual = r->integer(0, "price_annual_minor");
  pl.included_units = r->integer(0, "included_units");
  pl.overage_price = r->integer(0, "overage_price_minor");
  pl.overage_block = r->integer(0, "overage_block_units");
  pl.trial_days = static_cast<int>(r->integer(0, "trial_days"));
  pl.stripe_price_monthly = std::string(r->get(0, "pm"));
  pl.stripe_price_annual = std::string(r->get(0, "pa"));
  pl.stripe_price_metered = std::string(r->get(0, "pmet"));
  out = std::move(pl);
  co_return out;
}

Task<Result<BillingState>> BillingRepository::billing_state(const std::string& organization_id) {
  db::Params p{organization_id};
  auto r = co_await db_.query(kBillingState, std::move(p));
  if (!r) co_return r.error();
  if (r->empty()) co_return Error::of(ErrorCode::NotFound, "organization not found");
  BillingState st;
  st.organization_id = organization_id;
  st.stripe_customer_id = r->opt(0, "stripe_customer_id");
  st.has_subscription = !r->is_null(0, r->column("sid"));
  if (st.has_subscription) {
    st.subscription_id = std::string(r->get(0, "sid"));
    st.plan_slug = std::string(r->get(0, "slug"));
    st.source = std::string(r->get(0, "source"));
    st.status = std::string(r->get(0, "status"));
    st.interval = std::string(r->get(0, "billing_interval"));
    st.stripe_subscription_id = std::string(r->get(0, "ssid"));
    st.cancel_at_period_end = r->boolean(0, "cape");
  }
  st.had_trial = r->boolean(0, "had_trial");
  co_return st;
}

Task<Status> BillingRepository::change_local_plan(const std::string& organization_id, const PlanRef& plan,
                                                  const std::string& interval, const std::string& actor_user_id,
                                                  const std::string& request_id) {
  std::string plan_id;
  if (plan.slug != "free") plan_id = plan.id;
  const nlohmann::json detail = {{"plan", plan.slug}, {"interval", interval}, {"mode", "local"}};
  db::Params p{organization_id, plan_id, interval, actor_user_id, request_id, detail.dump()};
  auto r = co_await db_.query(kChangeLocalPlan, std::move(p));
  if (!r) co_return r.error();
  co_return ok_status();
}

Task<Result<bool>> BillingRepository::set_local_cancel(const std::string& organization_id, bool cancel,
                                                       const std::string& actor_user_id,
                                                       const std::string& request_id) {
  const char* flag = cancel ? "true" : "false";
  db::Params p{organization_id, std::string(flag), actor_user_id, request_id};
  auto r = co_await db_.query(kSetLocalCancel, std::move(p));
  if (!r) co_return r.error();
  co_return !r->empty();
}

Task<Result<nlohmann::json>> BillingRepository::upcoming_json(const std::string& organization_id) {
  db::Params p{organization_id};
  auto r = co_await db_.query(kUpcoming, std::move(p));
  if (!r) co_return r.error();
  if (r->empty()) co_return Error::of(ErrorCode::Internal, "no Free plan in the catalog");
  auto j = nlohmann::json::parse(r->get(0, 0), nullptr, false);
  if (j.is_discarded()) co_return Error::of(ErrorCode::Internal, "upcoming invoice: bad JSON from SQL");
  co_return j;
}

}  // namespace tg::billing
