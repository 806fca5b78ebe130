#include "billing/billing_repository.hpp"

namespace tg::billing {
namespace {
const db::Query kStoreWebhookEvent{
    "billing_store_webhook_event",
    "INSERT INTO stripe_webhook_events (stripe_event_id, type, api_version, livemode, stripe_created_at, payload) "
    "VALUES ($1, $2, $3, $4::boolean, to_timestamp($5::bigint), $6::jsonb) "
    "ON CONFLICT (stripe_event_id) DO NOTHING RETURNING id"};
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
// One JSON shape for a plan, in SQL so the list and the subscription agree; money in minor units.
#define PLAN_JSON(p)                                                                                             \
  "jsonb_build_object('id', " p ".id, 'slug', " p ".slug, 'name', " p ".name, 'description', " p                 \
  ".description, "                                                                                               \
  "'type', " p ".type, 'currency', " p ".currency, 'priceMonthly', " p ".price_monthly_minor, 'priceAnnual', " p \
  ".price_annual_minor, 'includedUnits', " p ".included_units, 'overagePrice', " p                               \
  ".overage_price_minor, "                                                                                       \
  "'overageBlockUnits', " p ".overage_block_units, 'quotaPolicy', " p ".quota_policy, 'rateLimitPerMinute', " p  \
  ".rate_limit_per_minute, 'maxApiKeys', " p ".max_api_keys, 'maxMembers', " p ".max_members, 'features', " p    \
  ".features, 'trialDays', " p ".trial_days)"
#define TS(x) "to_char(" x " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

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
    "'currentPeriodStart', " TS("COALESCE(s.current_period_start, date_trunc('month', now(), 'UTC'))") ", "
    "'currentPeriodEnd', " TS("COALESCE(s.current_period_end, date_trunc('month', now(), 'UTC') + interval '1 month')") ", "
    "'cancelAtPeriodEnd', COALESCE(s.cancel_at_period_end, false), 'trialEnd', " TS("s.trial_end") ", "
    "'pastDueSince', " TS("s.past_due_since") ", 'paymentGraceEndsAt', " TS("s.payment_grace_ends_at") ")::text "
    "FROM plans p LEFT JOIN s ON true WHERE p.id = COALESCE(s.plan_id, (SELECT id FROM plans WHERE slug = 'free'))"};
#undef TS
#undef PLAN_JSON
}  // namespace

Task<Result<std::string>> BillingRepository::public_plans_json() {
  const db::Params none;
  auto r = co_await db_.query(kPublicPlans, none);
  if (!r) co_return r.error();
  co_return std::string(r->get(0, 0));
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
  if (r->empty() || r->is_null(0, 0)) co_return Error::of(ErrorCode::NotFound, "organization not found");
  co_return std::string(r->get(0, 0));
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
