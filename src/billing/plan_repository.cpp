// BillingRepository: the plan catalog as admins edit it, and the Stripe ids a sync records.
#include "billing/billing_repository.hpp"
#include "billing/sql_json.hpp"

namespace tg::billing {
namespace {
#define ADMIN_PLAN_JSON(p)                                                                         \
  PLAN_JSON(p)                                                                                     \
  " || jsonb_build_object('status', " p ".status, 'isPublic', " p ".is_public, 'displayOrder', " p \
  ".display_order, 'subscribers', (SELECT count(*) FROM subscriptions s WHERE s.plan_id = " p      \
  ".id AND s.status IN " CURRENT_STATUSES "), 'stripe', jsonb_build_object('productId', " p        \
  ".stripe_product_id, 'priceMonthlyId', " p ".stripe_price_monthly_id, 'priceAnnualId', " p       \
  ".stripe_price_annual_id, 'priceMeteredId', " p ".stripe_price_metered_id, 'meterId', " p        \
  ".stripe_meter_id, 'syncedAt', " SQL_TS(p ".stripe_synced_at") "))"

const db::Query kAdminPlans{"billing_admin_plans",
                            "SELECT COALESCE(jsonb_agg(" ADMIN_PLAN_JSON("p") " ORDER BY p.display_order, "
                            "p.price_monthly_minor, p.slug), '[]'::jsonb)::text FROM plans p"};
const db::Query kAdminPlan{"billing_admin_plan",
                           "SELECT (" ADMIN_PLAN_JSON("p") ")::text FROM plans p WHERE p.id = $1::uuid"};

// The whole plan as one JSON document ($1): the handler validated it (merged with the stored plan for a
// change), so one statement serves create and update. A sync job is queued in the same statement, keyed by the
// plan's new state, so a change is synced exactly once.
#define PLAN_COLUMNS                                                                                           \
  "name, description, type, currency, price_monthly_minor, price_annual_minor, included_units, "               \
  "overage_price_minor, overage_block_units, quota_policy, rate_limit_per_minute, max_api_keys, max_members, " \
  "features, status, is_public, display_order, trial_days"
#define PLAN_VALUES(j)                                                                \
  j "->>'name', " j "->>'description', " j "->>'type', " j "->>'currency', (" j       \
    "->>'priceMonthly')::bigint, "                                                    \
    "(" j "->>'priceAnnual')::bigint, (" j "->>'includedUnits')::bigint, (" j         \
    "->>'overagePrice')::bigint, "                                                    \
    "(" j "->>'overageBlockUnits')::bigint, " j "->>'quotaPolicy', (" j               \
    "->>'rateLimitPerMinute')::int, "                                                 \
    "(" j "->>'maxApiKeys')::int, (" j "->>'maxMembers')::int, " j "->'features', " j \
    "->>'status', "                                                                   \
    "(" j "->>'isPublic')::boolean, (" j "->>'displayOrder')::int, (" j "->>'trialDays')::int"

const db::Query kCreatePlan{
    "billing_create_plan",
    "WITH ins AS (INSERT INTO plans (slug, " PLAN_COLUMNS ") SELECT $1::jsonb->>'slug', " PLAN_VALUES("$1::jsonb")
    " ON CONFLICT (slug) DO NOTHING RETURNING id, updated_at), "
    "job AS (INSERT INTO jobs (kind, payload, idempotency_key) SELECT 'stripe.sync_plan', jsonb_build_object("
    "'planId', ins.id::text), 'stripe.sync_plan:' || ins.id || ':' || (extract(epoch FROM ins.updated_at) * "
    "1000000)::bigint FROM ins WHERE $4::boolean ON CONFLICT (idempotency_key) DO NOTHING), "
    "audit AS (INSERT INTO audit_log (actor_type, actor_user_id, action, target_type, target_id, request_id, "
    "metadata, ip, user_agent, reason) SELECT 'admin', $2::uuid, 'admin.plan.created', 'plan', ins.id::text, $3, "
    "jsonb_build_object('slug', $1::jsonb->>'slug'), NULLIF($5, '')::inet, NULLIF(left($6, 1024), ''), NULLIF($7, "
    "'') FROM ins) "
    "SELECT id::text FROM ins"};

const db::Query kUpdatePlan{
    "billing_update_plan",
    "WITH upd AS (UPDATE plans SET (" PLAN_COLUMNS ") = (SELECT " PLAN_VALUES("$2::jsonb") ") "
    "WHERE id = $1::uuid RETURNING id, updated_at), "
    "job AS (INSERT INTO jobs (kind, payload, idempotency_key) SELECT 'stripe.sync_plan', jsonb_build_object("
    "'planId', upd.id::text), 'stripe.sync_plan:' || upd.id || ':' || (extract(epoch FROM upd.updated_at) * "
    "1000000)::bigint FROM upd WHERE $5::boolean ON CONFLICT (idempotency_key) DO NOTHING), "
    "audit AS (INSERT INTO audit_log (actor_type, actor_user_id, action, target_type, target_id, request_id, "
    "metadata, ip, user_agent, reason) SELECT 'admin', $3::uuid, 'admin.plan.updated', 'plan', upd.id::text, $4, "
    "jsonb_build_object('changed', $6::jsonb), NULLIF($7, '')::inet, NULLIF(left($8, 1024), ''), NULLIF($9, '') "
    "FROM upd) "
    "SELECT id::text FROM upd"};

const db::Query kPlanForSync{
    "billing_plan_for_sync",
    "SELECT id::text AS id, slug, name, description, type, status, currency, price_monthly_minor, price_annual_minor, "
    "overage_price_minor, overage_block_units, COALESCE(stripe_product_id, '') AS product, "
    "COALESCE(stripe_price_monthly_id, '') AS pm, COALESCE(stripe_price_annual_id, '') AS pa, "
    "COALESCE(stripe_price_metered_id, '') AS pmet, COALESCE(stripe_meter_id, '') AS meter "
    "FROM plans WHERE id = $1::uuid"};

// Records what the sync created; `stripe_synced_at` says the catalog and Stripe agree as of now.
const db::Query kRecordSync{
    "billing_record_plan_sync",
    "UPDATE plans SET stripe_product_id = NULLIF($2, ''), stripe_price_monthly_id = NULLIF($3, ''), "
    "stripe_price_annual_id = NULLIF($4, ''), stripe_price_metered_id = NULLIF($5, ''), "
    "stripe_meter_id = NULLIF($6, ''), stripe_synced_at = now() WHERE id = $1::uuid"};
const db::Query kQueueUnsynced{
    "billing_queue_unsynced_plans",
    "INSERT INTO jobs (kind, payload, idempotency_key) SELECT 'stripe.sync_plan', jsonb_build_object('planId', "
    "id::text), 'stripe.sync_plan:' || id || ':initial' FROM plans WHERE stripe_synced_at IS NULL "
    // A first sync that died (Stripe down for a day) is revived on the next start.
    "ON CONFLICT (idempotency_key) DO UPDATE SET status = 'queued', attempts = 0, run_at = now(), last_error = NULL "
    "WHERE jobs.status = 'dead'"};
#undef ADMIN_PLAN_JSON
#undef PLAN_COLUMNS
#undef PLAN_VALUES
}  // namespace

Task<Result<nlohmann::json>> BillingRepository::admin_plans_json() {
  const db::Params none;
  auto r = co_await db_.query(kAdminPlans, none);
  if (!r) co_return r.error();
  co_return nlohmann::json::parse(r->get(0, 0));
}

Task<Result<std::optional<nlohmann::json>>> BillingRepository::admin_plan_json(const std::string& plan_id) {
  db::Params p{plan_id};
  auto r = co_await db_.query(kAdminPlan, std::move(p));
  if (!r) co_return r.error();
  std::optional<nlohmann::json> out;
  if (!r->empty()) out = nlohmann::json::parse(r->get(0, 0));
  co_return out;
}

Task<Result<std::optional<std::string>>> BillingRepository::create_plan(const nlohmann::json& plan, const AdminWho& who,
                                                                        bool sync) {
  const char* s = sync ? "true" : "false";
  db::Params p{plan.dump(), who.admin_id, who.request_id, std::string(s), who.ip, who.user_agent, who.reason};
  auto r = co_await db_.query(kCreatePlan, std::move(p));
  if (!r) co_return r.error();
  std::optional<std::string> id;
  if (!r->empty()) id = std::string(r->get(0, 0));
  co_return id;
}

Task<Result<bool>> BillingRepository::update_plan(const std::string& plan_id, const nlohmann::json& merged,
                                                  const nlohmann::json& changed, const AdminWho& who, bool sync) {
  const char* s = sync ? "true" : "false";
  nlohmann::json changed_keys = nlohmann::json::array();
  for (const auto& [k, v] : changed.items()) changed_keys.push_back(k);
  db::Params p{plan_id, merged.dump(),  who.admin_id, who.request_id, std::string(s), changed_keys.dump(),
               who.ip,  who.user_agent, who.reason};
  auto r = co_await db_.query(kUpdatePlan, std::move(p));
  if (!r) co_return r.error();
  co_return !r->empty();
}

Task<Result<std::optional<PlanSync>>> BillingRepository::plan_for_sync(const std::string& plan_id) {
  db::Params p{plan_id};
  auto r = co_await db_.query(kPlanForSync, std::move(p));
  if (!r) co_return r.error();
  std::optional<PlanSync> out;
  if (r->empty()) co_return out;
  PlanSync s;
  s.id = std::string(r->get(0, "id"));
  s.slug = std::string(r->get(0, "slug"));
  s.name = std::string(r->get(0, "name"));
  s.description = std::string(r->get(0, "description"));
  s.type = std::string(r->get(0, "type"));
  s.status = std::string(r->get(0, "status"));
  s.currency = std::string(r->get(0, "currency"));
  s.price_monthly = r->integer(0, "price_monthly_minor");
  if (!r->is_null(0, r->column("price_annual_minor"))) s.price_annual = r->integer(0, "price_annual_minor");
  s.overage_price = r->integer(0, "overage_price_minor");
  s.overage_block = r->integer(0, "overage_block_units");
  s.product = std::string(r->get(0, "product"));
  s.price_monthly_id = std::string(r->get(0, "pm"));
  s.price_annual_id = std::string(r->get(0, "pa"));
  s.price_metered_id = std::string(r->get(0, "pmet"));
  s.meter_id = std::string(r->get(0, "meter"));
  out = std::move(s);
  co_return out;
}

Task<Status> BillingRepository::queue_unsynced_plans() {
  const db::Params none;
  auto r = co_await db_.query(kQueueUnsynced, none);
  if (!r) co_return r.error();
  co_return ok_status();
}

Task<Status> BillingRepository::record_plan_sync(const PlanSync& s) {
  db::Params p{s.id, s.product, s.price_monthly_id, s.price_annual_id, s.price_metered_id, s.meter_id};
  auto r = co_await db_.query(kRecordSync, std::move(p));
  if (!r) co_return r.error();
  co_return ok_status();
}

}  // namespace tg::billing
