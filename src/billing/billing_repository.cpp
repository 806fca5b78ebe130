#include "billing/billing_repository.hpp"
#include "billing/sql_json.hpp"

namespace tg::billing {
namespace {
const db::Query kStoreWebhookEvent{
    "billing_store_webhook_event",
    "WITH ins AS (INSERT INTO stripe_webhook_events (stripe_event_id, type, api_version, livemode, stripe_created_at, "
    "payload) "
    "VALUES ($1, $2, $3, $4::boolean, to_timestamp($5::bigint), $6::jsonb) "
    "ON CONFLICT (stripe_event_id) DO NOTHING RETURNING id), "
    // Queued in the same statement as the row: an acknowledged event always gets processed.
    "job AS (INSERT INTO jobs (kind, payload, idempotency_key) SELECT 'stripe.process_event', "
    "jsonb_build_object('eventId', $1::text), 'stripe.event:' || $1 FROM ins ON CONFLICT (idempotency_key) DO NOTHING) "
    "SELECT id FROM ins"};
const db::Query kWebhookEvent{"billing_webhook_event",
                              "SELECT type, status, payload::text AS payload FROM stripe_webhook_events "
                              "WHERE stripe_event_id = $1"};
const db::Query kMarkEvent{
    "billing_mark_event",
    "UPDATE stripe_webhook_events SET status = $2, error = NULLIF($3, ''), attempts = attempts + 1, "
    "processed_at = CASE WHEN $2 IN ('processed', 'ignored') THEN now() END "
    "WHERE stripe_event_id = $1"};
// $1 stripe id, $2 customer, $3 metadata organization, $4 price, $5 metadata plan slug, $6 status, $7 interval,
// $8/$9 period, $10 cancel_at_period_end, $11 canceled_at, $12 ended_at, $13/$14 trial, $15 grace days.
const db::Query kApplySubscription{
    "billing_apply_subscription",
    "WITH org AS (SELECT id FROM organizations WHERE stripe_customer_id = $2 "
    "UNION ALL SELECT id FROM organizations WHERE $3 <> '' AND id::text = $3 LIMIT 1), "
    "plan AS (SELECT id FROM plans WHERE $4 <> '' AND $4 IN (stripe_price_monthly_id, stripe_price_annual_id, "
    "stripe_price_metered_id) UNION ALL SELECT id FROM plans WHERE $5 <> '' AND slug = $5 LIMIT 1), "
    // A current Stripe subscription replaces whatever else is current (the implicit Free row, a local plan).
    "ended AS (UPDATE subscriptions s SET status = 'canceled', canceled_at = COALESCE(s.canceled_at, now()), "
    "ended_at = now() FROM org WHERE $6 IN ('trialing', 'active', 'past_due', 'unpaid', 'paused') "
    "AND s.organization_id = org.id AND s.status IN ('trialing', 'active', 'past_due', 'unpaid', 'paused') "
    "AND s.stripe_subscription_id IS DISTINCT FROM $1 RETURNING s.id) "
    "INSERT INTO subscriptions AS t (organization_id, plan_id, status, source, billing_interval, current_period_start, "
    "current_period_end, cancel_at_period_end, canceled_at, ended_at, trial_start, trial_end, past_due_since, "
    "payment_grace_ends_at, stripe_subscription_id, stripe_price_id, stripe_state_at) "
    "SELECT org.id, plan.id, $6, 'stripe', $7, to_timestamp($8::bigint), to_timestamp($9::bigint), $10::boolean, "
    "to_timestamp(NULLIF($11::bigint, 0)), to_timestamp(NULLIF($12::bigint, 0)), to_timestamp(NULLIF($13::bigint, 0)), "
    "to_timestamp(NULLIF($14::bigint, 0)), CASE WHEN $6 = 'past_due' THEN now() END, "
    "CASE WHEN $6 = 'past_due' THEN now() + make_interval(days => $15::int) END, $1, NULLIF($4, ''), now() "
    "FROM org, plan WHERE (SELECT count(*) FROM ended) >= 0 "  // InitPlan: the old row ends first
    "ON CONFLICT (stripe_subscription_id) DO UPDATE SET plan_id = EXCLUDED.plan_id, status = EXCLUDED.status, "
    "billing_interval = EXCLUDED.billing_interval, current_period_start = EXCLUDED.current_period_start, "
    "current_period_end = EXCLUDED.current_period_end, cancel_at_period_end = EXCLUDED.cancel_at_period_end, "
    "canceled_at = EXCLUDED.canceled_at, ended_at = EXCLUDED.ended_at, trial_start = EXCLUDED.trial_start, "
    "trial_end = EXCLUDED.trial_end, "
    "past_due_since = CASE WHEN EXCLUDED.status = 'past_due' THEN COALESCE(t.past_due_since, now()) END, "
    "payment_grace_ends_at = CASE WHEN EXCLUDED.status = 'past_due' THEN COALESCE(t.payment_grace_ends_at, "
    "now() + make_interval(days => $15::int)) END, stripe_price_id = EXCLUDED.stripe_price_id, stripe_state_at = now() "
    "RETURNING t.id"};
const db::Query kCustomerTarget{
    "billing_customer_target",
    "SELECT o.id::text AS id, o.name, COALESCE(o.billing_email, u.email) AS email, o.status, o.stripe_customer_id "
    "FROM organizations o JOIN users u ON u.id = o.owner_user_id WHERE o.id = $1::uuid"};
const db::Query kSetCustomerId{
    "billing_set_customer_id",
    "WITH upd AS (UPDATE organizations SET stripe_customer_id = $2 WHERE id = $1::uuid AND stripe_customer_id IS NULL "
    "RETURNING stripe_customer_id) "
    "SELECT stripe_customer_id FROM upd UNION ALL "
    "SELECT stripe_customer_id FROM organizations WHERE id = $1::uuid AND NOT EXISTS (SELECT 1 FROM upd)"};

const db::Query kCustomerIdOf{"billing_customer_id_of",
                              "SELECT stripe_customer_id FROM organizations WHERE id = $1::uuid"};

const db::Query kPublicPlans{"billing_public_plans",
                             "SELECT COALESCE(jsonb_agg(" PLAN_JSON("p") " ORDER BY p.display_order, p.price_monthly_minor, "
                             "p.slug), '[]'::jsonb)::text FROM plans p WHERE p.status = 'active' AND p.is_public"};
const db::Query kSubscription{
    "billing_subscription",
    "WITH s AS (SELECT * FROM subscriptions WHERE organization_id = $1::uuid "
    "AND status IN ('trialing', 'active', 'past_due', 'unpaid', 'paused')) "
    "SELECT jsonb_build_object('plan', " PLAN_JSON("p") ", 'implicit', s.id IS NULL, "
    "'status', COALESCE(s.status, 'active'), 'source', COALESCE(s.source, 'local'), "
    "'interval', COALESCE(s.billing_interval, 'month'), "
    "'currentPeriodStart', " SQL_TS("COALESCE(s.current_period_start, date_trunc('month', now(), 'UTC'))") ", "
    "'currentPeriodEnd', " SQL_TS("COALESCE(s.current_period_end, date_trunc('month', now(), 'UTC') + interval '1 month')") ", "
    "'cancelAtPeriodEnd', COALESCE(s.cancel_at_period_end, false), 'trialEnd', " SQL_TS("s.trial_end") ", "
    "'pastDueSince', " SQL_TS("s.past_due_since") ", 'paymentGraceEndsAt', " SQL_TS("s.payment_grace_ends_at") ")::text "
    "FROM plans p LEFT JOIN s ON true WHERE p.id = COALESCE(s.plan_id, (SELECT id FROM plans WHERE slug = 'free'))"};
const db::Query kAuditBilling{
    "billing_audit",
    "INSERT INTO audit_log (actor_type, actor_user_id, organization_id, action, target_type, target_id, request_id, "
    "metadata) VALUES ('user', $2::uuid, $1::uuid, $3, 'organization', $1, $4, $5::jsonb)"};
const db::Query kLinkInvoices{
    "billing_link_invoices",
    "UPDATE billing_records b SET subscription_id = s.id, plan_id = COALESCE(b.plan_id, s.plan_id) "
    "FROM subscriptions s WHERE s.stripe_subscription_id = $1 AND b.metadata->>'stripe_subscription_id' = $1 "
    "AND b.subscription_id IS NULL"};
const db::Query kForgetCustomer{"billing_forget_customer",
                                "UPDATE organizations SET stripe_customer_id = NULL WHERE stripe_customer_id = $1"};
const db::Query kPlanJson{"billing_plan_json",
                          "SELECT " PLAN_JSON("p") "::text FROM plans p WHERE p.slug = $1 OR p.id::text = $1 LIMIT 1"};
}  // namespace

Task<Result<std::optional<StoredEvent>>> BillingRepository::webhook_event(const std::string& stripe_event_id) {
  db::Params p{stripe_event_id};
  auto r = co_await db_.query(kWebhookEvent, std::move(p));
  if (!r) co_return r.error();
  std::optional<StoredEvent> out;
  if (r->empty()) co_return out;
  StoredEvent e;
  e.type = std::string(r->get(0, "type"));
  e.status = std::string(r->get(0, "status"));
  e.payload = std::string(r->get(0, "payload"));
  out = std::move(e);
  co_return out;
}

Task<Status> BillingRepository::mark_event(const std::string& stripe_event_id, const std::string& status,
                                           const std::string& error) {
  db::Params p{stripe_event_id, status, error};
  auto r = co_await db_.query(kMarkEvent, std::move(p));
  if (!r) co_return r.error();
  co_return ok_status();
}

Task<Result<bool>> BillingRepository::apply_subscription(const StripeSubscription& s, int grace_days) {
  const auto n = [](std::int64_t v) { return std::to_string(v); };
  const char* cancel = s.cancel_at_period_end ? "true" : "false";
  db::Params p{s.id,
               s.customer,
               s.metadata_organization,
               s.price_id,
               s.metadata_plan,
               s.status,
               s.interval,
               n(s.period_start),
               n(s.period_end),
               std::string(cancel),
               n(s.canceled_at),
               n(s.ended_at),
               n(s.trial_start),
               n(s.trial_end),
               n(grace_days)};
  auto r = co_await db_.query(kApplySubscription, std::move(p));
  if (!r) co_return r.error();
  co_return !r->empty();
}

Task<Result<std::string>> BillingRepository::public_plans_json() {
  const db::Params none;
  auto r = co_await db_.query(kPublicPlans, none);
  if (!r) co_return r.error();
  co_return std::string(r->get(0, 0));
}

Task<Status> BillingRepository::audit_billing(const std::string& organization_id, const std::string& user_id,
                                             const std::string& action, const nlohmann::json& detail,
                                             const std::string& request_id) {
  db::Params p{organization_id, user_id, action, request_id, detail.dump()};
  auto r = co_await db_.query(kAuditBilling, std::move(p));
  if (!r) co_return r.error();
  co_return ok_status();
}

Task<Status> BillingRepository::link_invoices(const std::string& stripe_subscription_id) {
  db::Params p{stripe_subscription_id};
  auto r = co_await db_.query(kLinkInvoices, std::move(p));
  if (!r) co_return r.error();
  co_return ok_status();
}

Task<Status> BillingRepository::forget_customer(const std::string& stripe_customer_id) {
  db::Params p{stripe_customer_id};
  auto r = co_await db_.query(kForgetCustomer, std::move(p));
  if (!r) co_return r.error();
  co_return ok_status();
}

Task<Result<nlohmann::json>> BillingRepository::plan_json(const std::string& slug_or_id) {
  db::Params p{slug_or_id};
  auto r = co_await db_.query(kPlanJson, std::move(p));
  if (!r) co_return r.error();
  if (r->empty()) co_return Error::coded(ErrorCode::NotFound, "PLAN_NOT_FOUND", "No such plan.");
  co_return nlohmann::json::parse(r->get(0, 0));
}

Task<Result<std::string>> BillingRepository::subscription_json(const std::string& organization_id) {
  db::Params p{organization_id};
  auto r = co_await db_.query(kSubscription, std::move(p));
  if (!r) co_return r.error();
  if (r->empty()) co_return Error::of(ErrorCode::Internal, "no Free plan in the catalog");
  co_return std::string(r->get(0, 0));
}

Task<Result<std::optional<CustomerTarget>>> BillingRepository::customer_target(const std::string& organization_id) {
  db::Params p{organization_id};
  auto r = co_await db_.query(kCustomerTarget, std::move(p));
  if (!r) co_return r.error();
  std::optional<CustomerTarget> out;
  if (r->empty()) co_return out;
  CustomerTarget t;
  t.organization_id = std::string(r->get(0, "id"));
  t.name = std::string(r->get(0, "name"));
  t.email = std::string(r->get(0, "email"));
  t.status = std::string(r->get(0, "status"));
  t.stripe_customer_id = r->opt(0, "stripe_customer_id");
  out = std::move(t);
  co_return out;
}

Task<Result<std::string>> BillingRepository::set_customer_id(const std::string& organization_id,
                                                             const std::string& customer_id) {
  db::Params p{organization_id, customer_id};
  auto r = co_await db_.query(kSetCustomerId, std::move(p));
  if (!r) co_return r.error();
  if (!r->empty() && !r->is_null(0, 0)) co_return std::string(r->get(0, 0));
  // A racing caller set it while this UPDATE waited for the row: the UPDATE then skips the row, and the statement's
  // own snapshot (taken before that commit) still reads NULL. A new statement sees the winner's id.
  db::Params again{organization_id};
  auto fresh = co_await db_.query(kCustomerIdOf, std::move(again));
  if (!fresh) co_return fresh.error();
  if (fresh->empty() || fresh->is_null(0, 0)) co_return Error::of(ErrorCode::NotFound, "organization not found");
  co_return std::string(fresh->get(0, 0));
}

Task<Result<bool>> BillingRepository::store_webhook_event(const WebhookEvent& e) {
  // No ?: yielding a class type in a coroutine (GCC 12, docs/architecture.md).
  db::Param created;
  if (e.created_s) created = std::to_string(*e.created_s);
  const char* livemode = e.livemode ? "true" : "false";
  db::Params p{e.stripe_event_id, e.type, e.api_version, std::string(livemode), created, e.payload};
  auto r = co_await db_.query(kStoreWebhookEvent, std::move(p));
  if (!r) co_return r.error();
  co_return !r->empty();
}

}  // namespace tg::billing
