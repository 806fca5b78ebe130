#include "admin/admin_repository.hpp"

#include "core/csv.hpp"
#include "db/sql_macros.hpp"

namespace tg::admin {
using nlohmann::json;

namespace {
// A plan reference ({slug, name}) of organization `o`'s current subscription, or null.
#define CURRENT_PLAN(o)                                                                                     \
  "(SELECT jsonb_build_object('slug', p.slug, 'name', p.name) FROM subscriptions s JOIN plans p ON p.id = " \
  "s.plan_id WHERE s.organization_id = " o " AND s.status IN " CURRENT_STATUSES " LIMIT 1)"

#define USER_JSON(u)                                                                                                  \
  "jsonb_build_object('id', " u ".id, 'email', " u ".email, 'name', " u ".name, 'role', " u ".role, 'status', " u     \
  ".status, 'statusReason', " u ".status_reason, 'emailVerified', " u                                                 \
  ".email_verified_at IS NOT NULL, "                                                                                  \
  "'twoFactor', " u ".totp_enabled_at IS NOT NULL, 'createdAt', " SQL_TS(u ".created_at") ", 'lastLoginAt', " SQL_TS( \
      u ".last_login_at") ", 'suspendedAt', " SQL_TS(u ".suspended_at") ")"

#define ORG_JSON(o) \
  "jsonb_build_object('id', " o ".id, 'name', " o ".name, 'personal', " o ".personal, 'status', " o            \
  ".status, 'statusReason', " o ".status_reason, 'createdAt', " SQL_TS(o ".created_at") ", 'owner', "           \
  "(SELECT jsonb_build_object('id', w.id, 'email', w.email, 'name', w.name) FROM users w WHERE w.id = " o      \
  ".owner_user_id), 'memberCount', (SELECT count(*) FROM organization_members m WHERE m.organization_id = " o  \
  ".id), 'plan', " CURRENT_PLAN(o ".id") ")"

// Filters: $1 search (escaped), $2 status, $3 role, $4 plan slug, $5 verified; $6 limit, $7 offset. Deleted
// accounts only when asked for by status.
const db::Query kUsers{
    "admin_users",
    "WITH f AS (SELECT u.*, " CURRENT_PLAN("o.id") " AS plan FROM users u LEFT JOIN organizations o ON "
    "o.owner_user_id = u.id AND o.personal WHERE ($1 = '' OR u.email ILIKE '%' || $1 || '%' ESCAPE '\\' OR "
    "u.name ILIKE '%' || $1 || '%' ESCAPE '\\' OR u.id::text = lower($1)) AND (CASE WHEN $2 = '' THEN u.status "
    "<> 'deleted' ELSE u.status = $2 END) AND ($3 = '' OR u.role = $3) AND ($4 = '' OR COALESCE(("
    CURRENT_PLAN("o.id") ")->>'slug', 'free') = $4) AND ($5 = '' OR (u.email_verified_at IS NOT NULL) = ($5 = "
    "'true'))) "
    "SELECT (SELECT count(*) FROM f) AS total, COALESCE((SELECT jsonb_agg(x.doc ORDER BY x.created_at DESC, x.id "
    "DESC) FROM (SELECT " USER_JSON("f") " || jsonb_build_object('plan', f.plan) AS doc, f.created_at, f.id FROM f "
    "ORDER BY f.created_at DESC, f.id DESC LIMIT $6::int OFFSET $7::int) x), '[]'::jsonb)::text AS items"};

const db::Query kUser{
    "admin_user",
    "SELECT jsonb_build_object('user', " USER_JSON("u") " || jsonb_build_object('company', u.company, "
    "'lockedUntil', " SQL_TS("u.locked_until") "), "
    "'organizations', COALESCE((SELECT jsonb_agg(" ORG_JSON("o") " || jsonb_build_object('role', m.role) ORDER BY "
    "o.personal DESC, lower(o.name)) FROM organization_members m JOIN organizations o ON o.id = m.organization_id "
    "WHERE m.user_id = u.id AND o.status <> 'deleted'), '[]'::jsonb), "
    "'subscription', (SELECT jsonb_build_object('organizationId', s.organization_id, 'plan', "
    "jsonb_build_object('slug', p.slug, 'name', p.name), 'status', s.status, 'source', s.source, 'interval', "
    "s.billing_interval, 'currentPeriodStart', " SQL_TS("s.current_period_start") ", 'currentPeriodEnd', "
    SQL_TS("s.current_period_end") ", 'cancelAtPeriodEnd', s.cancel_at_period_end, 'includedUnits', "
    "p.included_units * CASE WHEN s.billing_interval = 'year' THEN 12 ELSE 1 END, 'unitsUsed', (SELECT COALESCE(sum(r.cost_units), 0) FROM usage_rollups r WHERE "
    "r.organization_id = s.organization_id AND r.bucket = 'hour' AND r.bucket_start >= date_trunc('hour', "
    "s.current_period_start)), 'requests', (SELECT COALESCE(sum(r.requests), 0) FROM usage_rollups r WHERE "
    "r.organization_id = s.organization_id AND r.bucket = 'hour' AND r.bucket_start >= date_trunc('hour', "
    "s.current_period_start))) FROM organizations o JOIN subscriptions s ON s.organization_id = o.id AND s.status "
    "IN " CURRENT_STATUSES " JOIN plans p ON p.id = s.plan_id WHERE o.owner_user_id = u.id AND o.personal), "
    "'keys', COALESCE((SELECT jsonb_agg(jsonb_build_object('id', k.id, 'organizationId', k.organization_id, "
    "'name', k.name, 'prefix', k.prefix, 'environment', k.environment, 'status', k.status, 'createdAt', "
    SQL_TS("k.created_at") ", 'lastUsedAt', " SQL_TS("k.last_used_at") ") ORDER BY k.created_at DESC) FROM "
    "(SELECT * FROM api_keys k WHERE k.organization_id IN (SELECT organization_id FROM organization_members WHERE "
    "user_id = u.id) ORDER BY k.created_at DESC LIMIT 50) k), '[]'::jsonb), "
    "'sessions', COALESCE((SELECT jsonb_agg(jsonb_build_object('id', s.family_id, 'createdAt', " SQL_TS("s.created_at")
    ", 'lastUsedAt', " SQL_TS("s.last_used_at") ", 'expiresAt', " SQL_TS("s.expires_at") ", 'ip', host(s.ip), "
    "'userAgent', s.user_agent) ORDER BY s.created_at DESC) FROM sessions s WHERE s.user_id = u.id AND "
    "s.rotated_at IS NULL AND s.revoked_at IS NULL AND s.expires_at > now()), '[]'::jsonb), "
    "'recentAudit', COALESCE((SELECT jsonb_agg(jsonb_build_object('id', a.id::text, 'createdAt', "
    SQL_TS("a.created_at") ", 'action', a.action, 'actorType', a.actor_type, 'actorUserId', a.actor_user_id, "
    "'outcome', a.outcome, 'reason', a.reason, 'ip', host(a.ip)) ORDER BY a.id DESC) FROM (SELECT * FROM audit_log "
    "a WHERE a.actor_user_id = u.id OR (a.target_type = 'user' AND a.target_id = u.id::text) ORDER BY a.id DESC "
    "LIMIT 20) a), '[]'::jsonb))::text FROM users u WHERE u.id = $1::uuid"};

const db::Query kUserState{"admin_user_state",
                           "SELECT status, role, email, totp_enabled_at IS NOT NULL AS two_factor, "
                           "email_verified_at IS NOT NULL AS verified FROM users WHERE id = $1::uuid AND status <> "
                           "'deleted'"};

const db::Query kAudit{
    "admin_audit_insert",
    "INSERT INTO audit_log (actor_type, actor_user_id, organization_id, action, target_type, target_id, reason, ip, "
    "user_agent, request_id, metadata) VALUES ('admin', $1::uuid, $2::uuid, $3, $4, $5, NULLIF($6, ''), "
    "NULLIF($7, '')::inet, NULLIF($8, ''), $9, $10::jsonb)"};

const db::Query kSuspend{"admin_user_suspend",
                         "UPDATE users SET status = 'suspended', status_reason = $2, suspended_at = now() WHERE id = "
                         "$1::uuid AND status = 'active' RETURNING id"};
const db::Query kReactivate{"admin_user_reactivate",
                            "UPDATE users SET status = 'active', status_reason = NULL, suspended_at = NULL WHERE id = "
                            "$1::uuid AND status = 'suspended' RETURNING id"};
const db::Query kSetRole{"admin_user_role",
                         "UPDATE users SET role = $2 WHERE id = $1::uuid AND status <> 'deleted' AND role <> $2 "
                         "RETURNING id"};
const db::Query kReset2fa{"admin_user_reset_2fa",
                          "UPDATE users SET totp_secret_enc = NULL, totp_enabled_at = NULL, totp_last_step = NULL "
                          "WHERE id = $1::uuid AND status <> 'deleted' AND totp_secret_enc IS NOT NULL RETURNING id"};
const db::Query kDeleteCodes{"admin_user_delete_recovery_codes",
                             "DELETE FROM mfa_recovery_codes WHERE user_id = $1::uuid"};
// Every row of every family (rotated ones too: an access token names the row it was issued with). Counted: the
// sessions a user would see, i.e. the live heads of their families.
const db::Query kRevokeSessions{
    "admin_user_revoke_sessions",
    "WITH r AS (UPDATE sessions SET revoked_at = now(), revoke_reason = $2 WHERE user_id = $1::uuid AND revoked_at "
    "IS NULL RETURNING rotated_at, expires_at) SELECT count(*) FILTER (WHERE rotated_at IS NULL AND expires_at > "
    "now()) AS n FROM r"};

// $1 search, $2 status, $3 plan slug, $4 limit, $5 offset.
const db::Query kOrgs{
    "admin_organizations",
    "WITH f AS (SELECT o.* FROM organizations o WHERE ($1 = '' OR o.name ILIKE '%' || $1 || '%' ESCAPE '\\' OR "
    "o.id::text = lower($1) OR EXISTS (SELECT 1 FROM users w WHERE w.id = o.owner_user_id AND w.email ILIKE '%' || "
    "$1 || '%' ESCAPE '\\')) AND (CASE WHEN $2 = '' THEN o.status <> 'deleted' ELSE o.status = $2 END) AND ($3 = '' "
    "OR COALESCE((" CURRENT_PLAN("o.id") ")->>'slug', 'free') = $3)) "
    "SELECT (SELECT count(*) FROM f) AS total, COALESCE((SELECT jsonb_agg(x.doc ORDER BY x.created_at DESC, x.id "
    "DESC) FROM (SELECT " ORG_JSON("f") " AS doc, f.created_at, f.id FROM f ORDER BY f.created_at DESC, f.id DESC "
    "LIMIT $4::int OFFSET $5::int) x), '[]'::jsonb)::text AS items"};

const db::Query kOrg{
    "admin_organization",
    "SELECT (" ORG_JSON("o") " || jsonb_build_object('billingEmail', o.billing_email, 'stripeCustomerId', "
    "o.stripe_customer_id, "
    "'members', COALESCE((SELECT jsonb_agg(jsonb_build_object('userId', u.id, 'email', u.email, 'name', u.name, "
    "'role', m.role, 'status', u.status, 'joinedAt', " SQL_TS("m.created_at") ") ORDER BY m.created_at) FROM "
    "organization_members m JOIN users u ON u.id = m.user_id WHERE m.organization_id = o.id), '[]'::jsonb), "
    "'subscription', (SELECT jsonb_build_object('id', s.id, 'plan', jsonb_build_object('slug', p.slug, 'name', "
    "p.name), 'status', s.status, 'source', s.source, 'interval', s.billing_interval, 'currentPeriodStart', "
    SQL_TS("s.current_period_start") ", 'currentPeriodEnd', " SQL_TS("s.current_period_end") ", "
    "'cancelAtPeriodEnd', s.cancel_at_period_end, 'includedUnits', p.included_units * CASE WHEN s.billing_interval = 'year' THEN 12 ELSE 1 END, 'unitsUsed', (SELECT "
    "COALESCE(sum(r.cost_units), 0) FROM usage_rollups r WHERE r.organization_id = o.id AND r.bucket = 'hour' AND "
    "r.bucket_start >= date_trunc('hour', s.current_period_start))) FROM subscriptions s JOIN plans p ON p.id = "
    "s.plan_id WHERE s.organization_id = o.id AND s.status IN " CURRENT_STATUSES "), "
    "'keys', jsonb_build_object('active', (SELECT count(*) FROM api_keys k WHERE k.organization_id = o.id AND "
    "k.status = 'active'), 'total', (SELECT count(*) FROM api_keys k WHERE k.organization_id = o.id)), "
    "'invoices', COALESCE((SELECT jsonb_agg(jsonb_build_object('id', b.id, 'number', b.number, 'status', b.status, "
    "'source', b.source, 'currency', b.currency, 'total', b.total_minor, 'createdAt', " SQL_TS("b.created_at")
    ") ORDER BY b.created_at DESC) FROM (SELECT * FROM billing_records b WHERE b.organization_id = o.id ORDER BY "
    "b.created_at DESC LIMIT 10) b), '[]'::jsonb)))::text FROM organizations o WHERE o.id = $1::uuid AND o.status "
    "<> 'deleted'"};

const db::Query kOrgSuspend{"admin_org_suspend",
                            "UPDATE organizations SET status = 'suspended', status_reason = $2, suspended_at = now() "
                            "WHERE id = $1::uuid AND status = 'active' RETURNING id"};
const db::Query kOrgReactivate{"admin_org_reactivate",
                               "UPDATE organizations SET status = 'active', status_reason = NULL, suspended_at = NULL "
                               "WHERE id = $1::uuid AND status = 'suspended' RETURNING id"};

// Locks the organization (NO KEY UPDATE, like every limit check) so two comps cannot both insert.
const db::Query kCompState{
    "admin_comp_state",
    "SELECT o.id, (SELECT id::text FROM plans WHERE slug = $2 AND status <> 'archived') AS plan_id, s.id::text AS "
    "sid, s.source, (SELECT slug FROM plans WHERE id = s.plan_id) AS from_slug FROM organizations o LEFT JOIN "
    "subscriptions s ON s.organization_id = o.id AND s.status IN " CURRENT_STATUSES
    " WHERE o.id = $1::uuid AND "
    "o.status <> 'deleted' FOR NO KEY UPDATE OF o"};
// A comped subscription keeps the current period (the quota does not reset); a new one starts now for a month.
const db::Query kCompUpdate{"admin_comp_update",
                            "UPDATE subscriptions SET plan_id = $2::uuid, source = 'manual', status = 'active', "
                            "past_due_since = NULL, payment_grace_ends_at = NULL, cancel_at_period_end = false WHERE "
                            "id = $1::uuid"};
const db::Query kCompInsert{"admin_comp_insert",
                            "INSERT INTO subscriptions (organization_id, plan_id, status, source, billing_interval, "
                            "current_period_start, current_period_end) VALUES ($1::uuid, $2::uuid, 'active', "
                            "'manual', 'month', now(), now() + interval '1 month')"};

// $1 before id, $2 action (exact, or a prefix ending in '.'), $3 actor, $4 organization, $5 target id, $6 from,
// $7 to, $8 limit.
#define AUDIT_WHERE                                                                                            \
  "WHERE ($1 = '' OR a.id < $1::bigint) AND ($2 = '' OR a.action = $2 OR (right($2, 1) = '.' AND "             \
  "left(a.action, length($2)) = $2)) AND ($3 = '' OR a.actor_user_id = $3::uuid OR a.impersonator_user_id = "  \
  "$3::uuid) AND ($4 = '' OR a.organization_id = $4::uuid) AND ($5 = '' OR a.target_id = $5) AND ($6 = '' OR " \
  "a.created_at >= $6::timestamptz) AND ($7 = '' OR a.created_at < $7::timestamptz) "
#define AUDIT_COLUMNS                                                                                            \
  "a.id::text AS id, to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS created, " \
  "a.actor_type, a.actor_user_id::text AS actor_user_id, (SELECT email FROM users WHERE id = a.actor_user_id) "  \
  "AS actor_email, a.impersonator_user_id::text AS impersonator_user_id, a.organization_id::text AS "            \
  "organization_id, a.action, a.target_type, a.target_id, a.outcome, a.reason, host(a.ip) AS ip, a.user_agent, " \
  "a.request_id, a.metadata::text AS metadata "
const db::Query kAuditPage{"admin_audit_page",
                           "SELECT " AUDIT_COLUMNS "FROM audit_log a " AUDIT_WHERE "ORDER BY a.id DESC LIMIT $8::int"};
const db::Query kAuditCsv{"admin_audit_csv",
                          "SELECT " AUDIT_COLUMNS "FROM audit_log a " AUDIT_WHERE "ORDER BY a.id DESC LIMIT $8::int"};

const db::Query kTokens{
    "admin_service_tokens",
    "SELECT COALESCE(jsonb_agg(jsonb_build_object('id', t.id, 'name', t.name, 'prefix', t.prefix, 'scopes', "
    "to_jsonb(t.scopes), 'createdAt', " SQL_TS("t.created_at") ", 'createdBy', t.created_by, 'expiresAt', "
    SQL_TS("t.expires_at") ", 'lastUsedAt', " SQL_TS("t.last_used_at") ", 'revokedAt', " SQL_TS("t.revoked_at")
    ", 'status', CASE WHEN t.revoked_at IS NOT NULL THEN 'revoked' WHEN t.expires_at <= now() THEN 'expired' ELSE "
    "'active' END) ORDER BY t.created_at DESC), '[]'::jsonb)::text FROM service_tokens t"};
#define TOKEN_JSON \
  "jsonb_build_object('id', id, 'name', name, 'prefix', prefix, 'scopes', to_jsonb(scopes), 'createdAt', "      \
  SQL_TS("created_at") ", 'createdBy', created_by, 'expiresAt', " SQL_TS("expires_at") ", 'lastUsedAt', null, "  \
  "'revokedAt', null, 'status', 'active')::text AS doc"
const db::Query kTokenCreate{"admin_service_token_create",
                             "INSERT INTO service_tokens (name, prefix, token_hash, scopes, created_by, expires_at) "
                             "VALUES ($1, $2, decode($3, 'hex'), $4::text[], $5::uuid, $6::timestamptz) RETURNING "
                             "id::text, " TOKEN_JSON};
const db::Query kTokenRevoke{"admin_service_token_revoke",
                             "UPDATE service_tokens SET revoked_at = now() WHERE id = $1::uuid AND revoked_at IS NULL "
                             "RETURNING name"};
const db::Query kTokenExists{"admin_service_token_exists", "SELECT 1 FROM service_tokens WHERE id = $1::uuid"};

#define ENDPOINT_JSON(e)                                                                                            \
  "jsonb_build_object('id', " e ".id, 'method', " e ".method, 'pathPattern', " e ".path_pattern, 'upstreamUrl', " e \
  ".upstream_url, 'description', " e ".description, 'cost', " e ".cost, 'rateLimitPerMinute', " e                   \
  ".rate_limit_per_minute, 'timeoutMs', " e ".timeout_ms, 'isPublic', " e ".is_public, 'enabled', " e               \
  ".enabled, 'createdAt', " SQL_TS(e ".created_at") ", 'updatedAt', " SQL_TS(e ".updated_at") ")"
const db::Query kEndpoints{"admin_endpoints",
                           "SELECT COALESCE(jsonb_agg(" ENDPOINT_JSON("e") " ORDER BY e.path_pattern, e.method), "
                           "'[]'::jsonb)::text FROM api_endpoints e"};
const db::Query kEndpoint{"admin_endpoint",
                          "SELECT " ENDPOINT_JSON("e") "::text FROM api_endpoints e WHERE e.id = $1::uuid"};
const db::Query kEndpointCreate{
    "admin_endpoint_create",
    "INSERT INTO api_endpoints AS e (method, path_pattern, upstream_url, description, cost, rate_limit_per_minute, "
    "timeout_ms, is_public, enabled) VALUES ($1, $2, $3, $4, $5::int, $6::int, $7::int, $8::boolean, $9::boolean) "
    "ON CONFLICT (method, path_pattern) DO NOTHING RETURNING e.id::text, " ENDPOINT_JSON("e") "::text AS doc"};
const db::Query kEndpointUpdate{
    "admin_endpoint_update",
    "UPDATE api_endpoints SET method = $2, path_pattern = $3, upstream_url = $4, description = $5, cost = $6::int, "
    "rate_limit_per_minute = $7::int, timeout_ms = $8::int, is_public = $9::boolean, enabled = $10::boolean WHERE "
    "id = $1::uuid AND NOT EXISTS (SELECT 1 FROM api_endpoints o WHERE o.method = $2 AND o.path_pattern = $3 AND "
    "o.id <> $1::uuid) RETURNING id"};
const db::Query kEndpointDelete{"admin_endpoint_delete",
                                "DELETE FROM api_endpoints WHERE id = $1::uuid RETURNING method, path_pattern"};

const db::Query kKeyRate{
    "admin_key_rate",
    "SELECT COALESCE(k.rate_limit_per_minute, p.rate_limit_per_minute)::bigint AS rate FROM api_keys k JOIN plans p "
    "ON p.id = COALESCE((SELECT s.plan_id FROM subscriptions s WHERE s.organization_id = k.organization_id AND "
    "s.status IN " CURRENT_STATUSES "), (SELECT id FROM plans WHERE slug = 'free')) WHERE k.id = $1::uuid"};

const db::Query kImpStart{
    "admin_impersonation_start",
    "INSERT INTO impersonations (admin_user_id, user_id, reason, expires_at) VALUES ($1::uuid, "
    "$2::uuid, $3, now() + make_interval(secs => $4::int)) RETURNING id::text, " SQL_TS("expires_at") " AS expires_at"};
const db::Query kImpEnd{"admin_impersonation_end",
                        "UPDATE impersonations SET ended_at = now() WHERE id = $1::uuid AND admin_user_id = $2::uuid "
                        "AND ended_at IS NULL RETURNING user_id::text, reason"};
const db::Query kImp{
    "admin_impersonation",
    "SELECT jsonb_build_object('impersonationId', i.id, 'admin', jsonb_build_object('id', a.id, 'email', a.email, "
    "'name', a.name), 'user', jsonb_build_object('id', u.id, 'email', u.email, 'name', u.name), 'reason', i.reason, "
    "'startedAt', " SQL_TS("i.started_at") ", 'expiresAt', " SQL_TS("i.expires_at") ")::text FROM impersonations i "
    "JOIN users a ON a.id = i.admin_user_id JOIN users u ON u.id = i.user_id WHERE i.id = $1::uuid"};

db::Params audit_params(const AdminActor& a, const char* action, const char* target_type, const std::string& target_id,
                        const std::optional<std::string>& organization_id, const json& metadata) {
  std::string ua = a.user_agent.substr(0, 1024);
  return db::Params{a.admin_id,
                    organization_id ? db::Param(*organization_id) : db::Param(),
                    std::string(action),
                    std::string(target_type),
                    target_id,
                    a.reason,
                    a.ip,
                    ua,
                    a.request_id,
                    metadata.dump()};
}

db::Params audit_filter_params(const AuditFilter& f, int limit) {
  std::string before;
  if (f.before) before = std::to_string(*f.before);
  return db::Params{before, f.action, f.actor_id, f.organization_id, f.target_id, f.from, f.to, std::to_string(limit)};
}

json opt(const db::Rows& r, int i, const char* col) {
  auto v = r.opt(i, col);
  return v ? json(*v) : json(nullptr);
}

Task<Result<bool>> in_tx_with_audit(db::Database& db, const db::Query& q, db::Params p, const AdminActor& a,
                                    const char* action, const char* target_type, std::string target_id,
                                    std::optional<std::string> org, json metadata) {
  auto tx = co_await db.begin();
  if (!tx) co_return tx.error();
  auto& t = tx.value();
  auto r = co_await t.query(q, std::move(p));
  if (!r) co_return r.error();
  if (r->empty()) {
    co_await t.rollback();
    co_return false;
  }
  db::Params ap = audit_params(a, action, target_type, target_id, org, metadata);
  if (auto w = co_await t.query(kAudit, std::move(ap)); !w) co_return w.error();
  if (auto c = co_await t.commit(); !c) co_return c.error();
  co_return true;
}

Task<Result<json>> page_of(db::Database& db, const db::Query& q, db::Params p, int page, int page_size) {
  auto r = co_await db.query(q, std::move(p));
  if (!r) co_return r.error();
  json out = {{"items", json::parse(r->get(0, "items"))},
              {"total", r->integer(0, "total")},
              {"page", page},
              {"pageSize", page_size}};
  co_return out;
}
}  // namespace

const db::Query& audit_insert_query() {
  return kAudit;
}

db::Params audit_insert_params(const AdminActor& a, const char* action, const char* target_type,
                               const std::string& target_id, const std::optional<std::string>& organization_id,
                               const json& metadata) {
  return audit_params(a, action, target_type, target_id, organization_id, metadata);
}

std::string like_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

Task<Result<json>> AdminRepository::users(const UserFilter& f) {
  db::Params p{like_escape(f.q),
               f.status,
               f.role,
               f.plan,
               f.verified,
               std::to_string(f.page_size),
               std::to_string((f.page - 1) * f.page_size)};
  co_return co_await page_of(db_, kUsers, std::move(p), f.page, f.page_size);
}

Task<Result<std::optional<json>>> AdminRepository::user(const std::string& id) {
  db::Params p{id};
  auto r = co_await db_.query(kUser, std::move(p));
  if (!r) co_return r.error();
  std::optional<json> out;
  if (!r->empty()) out = json::parse(r->get(0, 0));
  co_return out;
}

Task<Result<std::optional<AdminRepository::UserState>>> AdminRepository::user_state(const std::string& id) {
  db::Params p{id};
  auto r = co_await db_.query(kUserState, std::move(p));
  if (!r) co_return r.error();
  std::optional<UserState> out;
  if (!r->empty()) {
    out = UserState{std::string(r->get(0, "status")), std::string(r->get(0, "role")), std::string(r->get(0, "email")),
                    r->boolean(0, "two_factor"), r->boolean(0, "verified")};
  }
  co_return out;
}

Task<Result<bool>> AdminRepository::suspend_user(const AdminActor& a, const std::string& id) {
  auto tx = co_await db_.begin();
  if (!tx) co_return tx.error();
  auto& t = tx.value();
  db::Params p{id, a.reason};
  auto r = co_await t.query(kSuspend, std::move(p));
  if (!r) co_return r.error();
  if (r->empty()) {
    co_await t.rollback();
    co_return false;
  }
  db::Params rs{id, std::string("user_suspended")};
  auto revoked = co_await t.query(kRevokeSessions, std::move(rs));
  if (!revoked) co_return revoked.error();
  const json meta = {{"sessionsRevoked", revoked->integer(0, "n")}};
  db::Params ap = audit_params(a, "admin.user.suspended", "user", id, std::nullopt, meta);
  if (auto w = co_await t.query(kAudit, std::move(ap)); !w) co_return w.error();
  if (auto c = co_await t.commit(); !c) co_return c.error();
  co_return true;
}

Task<Result<bool>> AdminRepository::reactivate_user(const AdminActor& a, const std::string& id) {
  db::Params p{id};
  std::string target = id;
  std::optional<std::string> org;
  json meta = json::object();
  co_return co_await in_tx_with_audit(db_, kReactivate, std::move(p), a, "admin.user.reactivated", "user",
                                      std::move(target), std::move(org), std::move(meta));
}

Task<Result<bool>> AdminRepository::set_user_role(const AdminActor& a, const std::string& id, const std::string& role) {
  db::Params p{id, role};
  std::string target = id;
  std::optional<std::string> org;
  json meta = {{"role", role}};
  co_return co_await in_tx_with_audit(db_, kSetRole, std::move(p), a, "admin.user.role_changed", "user",
                                      std::move(target), std::move(org), std::move(meta));
}

Task<Result<bool>> AdminRepository::reset_two_factor(const AdminActor& a, const std::string& id) {
  auto tx = co_await db_.begin();
  if (!tx) co_return tx.error();
  auto& t = tx.value();
  db::Params p{id};
  auto r = co_await t.query(kReset2fa, std::move(p));
  if (!r) co_return r.error();
  if (r->empty()) {
    co_await t.rollback();
    co_return false;
  }
  db::Params dc{id};
  if (auto d = co_await t.query(kDeleteCodes, std::move(dc)); !d) co_return d.error();
  db::Params rs{id, std::string("mfa_changed")};
  auto revoked = co_await t.query(kRevokeSessions, std::move(rs));
  if (!revoked) co_return revoked.error();
  const json meta = {{"sessionsRevoked", revoked->integer(0, "n")}};
  db::Params ap = audit_params(a, "admin.user.two_factor_reset", "user", id, std::nullopt, meta);
  if (auto w = co_await t.query(kAudit, std::move(ap)); !w) co_return w.error();
  if (auto c = co_await t.commit(); !c) co_return c.error();
  co_return true;
}

Task<Result<std::int64_t>> AdminRepository::revoke_sessions(const AdminActor& a, const std::string& id) {
  auto tx = co_await db_.begin();
  if (!tx) co_return tx.error();
  auto& t = tx.value();
  db::Params rs{id, std::string("admin")};
  auto revoked = co_await t.query(kRevokeSessions, std::move(rs));
  if (!revoked) co_return revoked.error();
  const std::int64_t n = revoked->integer(0, "n");
  const json meta = {{"sessionsRevoked", n}};
  db::Params ap = audit_params(a, "admin.user.sessions_revoked", "user", id, std::nullopt, meta);
  if (auto w = co_await t.query(kAudit, std::move(ap)); !w) co_return w.error();
  if (auto c = co_await t.commit(); !c) co_return c.error();
  co_return n;
}

Task<Status> AdminRepository::audit(const AdminActor& a, const char* action, const char* target_type,
                                    const std::string& target_id, const std::optional<std::string>& organization_id,
                                    const json& metadata) {
  db::Params ap = audit_params(a, action, target_type, target_id, organization_id, metadata);
  auto w = co_await db_.query(kAudit, std::move(ap));
  if (!w) co_return w.error();
  co_return ok_status();
}

Task<Result<json>> AdminRepository::organizations(const OrgFilter& f) {
  db::Params p{like_escape(f.q), f.status, f.plan, std::to_string(f.page_size),
               std::to_string((f.page - 1) * f.page_size)};
  co_return co_await page_of(db_, kOrgs, std::move(p), f.page, f.page_size);
}

Task<Result<std::optional<json>>> AdminRepository::organization(const std::string& id) {
  db::Params p{id};
  auto r = co_await db_.query(kOrg, std::move(p));
  if (!r) co_return r.error();
  std::optional<json> out;
  if (!r->empty()) out = json::parse(r->get(0, 0));
  co_return out;
}

Task<Result<bool>> AdminRepository::set_organization_status(const AdminActor& a, const std::string& id, bool suspend) {
  std::string target = id;
  std::optional<std::string> org = id;
  json meta = json::object();
  if (suspend) {
    db::Params p{id, a.reason};
    co_return co_await in_tx_with_audit(db_, kOrgSuspend, std::move(p), a, "admin.organization.suspended",
                                        "organization", std::move(target), std::move(org), std::move(meta));
  }
  db::Params p{id};
  co_return co_await in_tx_with_audit(db_, kOrgReactivate, std::move(p), a, "admin.organization.reactivated",
                                      "organization", std::move(target), std::move(org), std::move(meta));
}

Task<Result<AdminRepository::CompOutcome>> AdminRepository::comp_plan(const AdminActor& a, const std::string& org_id,
                                                                      const std::string& plan_slug) {
  auto tx = co_await db_.begin();
  if (!tx) co_return tx.error();
  auto& t = tx.value();
  db::Params sp{org_id, plan_slug};
  auto st = co_await t.query(kCompState, std::move(sp));
  if (!st) co_return st.error();
  if (st->empty()) {
    co_await t.rollback();
    co_return CompOutcome::not_found;
  }
  auto plan_id = st->opt(0, "plan_id");
  if (!plan_id) {
    co_await t.rollback();
    co_return CompOutcome::plan_not_found;
  }
  auto sid = st->opt(0, "sid");
  if (sid && st->opt(0, "source") == std::optional<std::string>("stripe")) {
    co_await t.rollback();
    co_return CompOutcome::stripe_managed;
  }
  const json meta = {{"from", opt(st.value(), 0, "from_slug")}, {"to", plan_slug}};
  if (sid) {
    db::Params up{*sid, *plan_id};
    if (auto r = co_await t.query(kCompUpdate, std::move(up)); !r) co_return r.error();
  } else {
    db::Params in{org_id, *plan_id};
    if (auto r = co_await t.query(kCompInsert, std::move(in)); !r) co_return r.error();
  }
  db::Params ap = audit_params(a, "admin.organization.plan_changed", "organization", org_id, org_id, meta);
  if (auto w = co_await t.query(kAudit, std::move(ap)); !w) co_return w.error();
  if (auto c = co_await t.commit(); !c) co_return c.error();
  co_return CompOutcome::done;
}

Task<Result<json>> AdminRepository::audit_page(const AuditFilter& f) {
  db::Params p = audit_filter_params(f, f.limit + 1);
  auto r = co_await db_.query(kAuditPage, std::move(p));
  if (!r) co_return r.error();
  json items = json::array();
  const int n = std::min(r->size(), f.limit);
  for (int i = 0; i < n; ++i) {
    auto meta = json::parse(r->get(i, "metadata"), nullptr, false);
    items.push_back({{"id", std::string(r->get(i, "id"))},
                     {"createdAt", std::string(r->get(i, "created"))},
                     {"actorType", std::string(r->get(i, "actor_type"))},
                     {"actorUserId", opt(r.value(), i, "actor_user_id")},
                     {"actorEmail", opt(r.value(), i, "actor_email")},
                     {"impersonatorUserId", opt(r.value(), i, "impersonator_user_id")},
                     {"organizationId", opt(r.value(), i, "organization_id")},
                     {"action", std::string(r->get(i, "action"))},
                     {"targetType", opt(r.value(), i, "target_type")},
                     {"targetId", opt(r.value(), i, "target_id")},
                     {"outcome", std::string(r->get(i, "outcome"))},
                     {"reason", opt(r.value(), i, "reason")},
                     {"ip", opt(r.value(), i, "ip")},
                     {"userAgent", opt(r.value(), i, "user_agent")},
                     {"requestId", opt(r.value(), i, "request_id")},
                     {"metadata", meta.is_object() ? meta : json::object()}});
  }
  json page = {{"items", items}, {"nextCursor", nullptr}};
  if (r->size() > f.limit && n > 0) page["nextCursor"] = items.back()["id"];
  co_return page;
}

Task<Result<std::string>> AdminRepository::audit_csv(const AuditFilter& f, int max_rows) {
  db::Params p = audit_filter_params(f, max_rows);
  auto r = co_await db_.query(kAuditCsv, std::move(p));
  if (!r) co_return r.error();
  static constexpr const char* kCols[] = {"id",
                                          "created",
                                          "actor_type",
                                          "actor_user_id",
                                          "actor_email",
                                          "impersonator_user_id",
                                          "organization_id",
                                          "action",
                                          "target_type",
                                          "target_id",
                                          "outcome",
                                          "reason",
                                          "ip",
                                          "user_agent",
                                          "request_id",
                                          "metadata"};
  std::string out =
      "id,created_at,actor_type,actor_user_id,actor_email,impersonator_user_id,organization_id,action,target_type,"
      "target_id,outcome,reason,ip,user_agent,request_id,metadata\r\n";
  for (int i = 0; i < r->size(); ++i) {
    bool first = true;
    for (const char* c : kCols) {
      if (!first) out += ',';
      first = false;
      if (!r->is_null(i, r->column(c))) out += csv_field(r->get(i, c), true);
    }
    out += "\r\n";
  }
  co_return out;
}

Task<Result<json>> AdminRepository::service_tokens() {
  db::Params none;
  auto r = co_await db_.query(kTokens, std::move(none));
  if (!r) co_return r.error();
  co_return json::parse(r->get(0, 0));
}

Task<Result<json>> AdminRepository::create_service_token(const AdminActor& a, const std::string& name,
                                                         const std::vector<std::string>& scopes,
                                                         const std::optional<std::string>& expires_at,
                                                         const std::string& prefix, const std::string& hash_hex) {
  std::string scope_array = "{";
  for (std::size_t i = 0; i < scopes.size(); ++i) scope_array += (i ? "," : "") + scopes[i];
  scope_array += "}";
  auto tx = co_await db_.begin();
  if (!tx) co_return tx.error();
  auto& t = tx.value();
  db::Params p{name, prefix, hash_hex, scope_array, a.admin_id, expires_at ? db::Param(*expires_at) : db::Param()};
  auto r = co_await t.query(kTokenCreate, std::move(p));
  if (!r) co_return r.error();
  const std::string id(r->get(0, "id"));
  const json meta = {{"name", name}, {"scopes", scopes}, {"prefix", prefix}};
  db::Params ap = audit_params(a, "admin.service_token.created", "service_token", id, std::nullopt, meta);
  if (auto w = co_await t.query(kAudit, std::move(ap)); !w) co_return w.error();
  if (auto c = co_await t.commit(); !c) co_return c.error();
  co_return json::parse(r->get(0, "doc"));
}

Task<Result<bool>> AdminRepository::revoke_service_token(const AdminActor& a, const std::string& id) {
  db::Params p{id};
  std::string target = id;
  std::optional<std::string> org;
  json meta = json::object();
  auto done = co_await in_tx_with_audit(db_, kTokenRevoke, std::move(p), a, "admin.service_token.revoked",
                                        "service_token", std::move(target), std::move(org), std::move(meta));
  if (!done || done.value()) co_return done;
  // Already revoked counts as done (idempotent); unknown is not.
  db::Params e{id};
  auto exists = co_await db_.query(kTokenExists, std::move(e));
  if (!exists) co_return exists.error();
  co_return !exists->empty();
}

Task<Result<AdminRepository::Impersonation>> AdminRepository::start_impersonation(const AdminActor& a,
                                                                                  const std::string& user_id,
                                                                                  int ttl_seconds) {
  auto tx = co_await db_.begin();
  if (!tx) co_return tx.error();
  auto& t = tx.value();
  db::Params p{a.admin_id, user_id, a.reason, std::to_string(ttl_seconds)};
  auto r = co_await t.query(kImpStart, std::move(p));
  if (!r) co_return r.error();
  Impersonation out{std::string(r->get(0, "id")), std::string(r->get(0, "expires_at"))};
  const json meta = {{"impersonationId", out.id}, {"expiresAt", out.expires_at}};
  const std::optional<std::string> no_org;
  db::Params ap = audit_params(a, "admin.impersonation.started", "user", user_id, no_org, meta);
  if (auto w = co_await t.query(kAudit, std::move(ap)); !w) co_return w.error();
  if (auto c = co_await t.commit(); !c) co_return c.error();
  co_return out;
}

Task<Result<bool>> AdminRepository::end_impersonation(const AdminActor& a, const std::string& impersonation_id) {
  auto tx = co_await db_.begin();
  if (!tx) co_return tx.error();
  auto& t = tx.value();
  db::Params p{impersonation_id, a.admin_id};
  auto r = co_await t.query(kImpEnd, std::move(p));
  if (!r) co_return r.error();
  if (r->empty()) {
    co_await t.rollback();
    co_return false;
  }
  const std::string user_id(r->get(0, "user_id"));
  const json meta = {{"impersonationId", impersonation_id}};
  const std::optional<std::string> no_org;
  AdminActor with_reason = a;
  with_reason.reason = std::string(r->get(0, "reason"));  // the reason given at the start, on both rows
  db::Params ap = audit_params(with_reason, "admin.impersonation.ended", "user", user_id, no_org, meta);
  if (auto w = co_await t.query(kAudit, std::move(ap)); !w) co_return w.error();
  if (auto c = co_await t.commit(); !c) co_return c.error();
  co_return true;
}

Task<Result<std::optional<json>>> AdminRepository::impersonation(const std::string& impersonation_id) {
  db::Params p{impersonation_id};
  auto r = co_await db_.query(kImp, std::move(p));
  if (!r) co_return r.error();
  std::optional<json> out;
  if (!r->empty()) out = json::parse(r->get(0, 0));
  co_return out;
}

Task<Result<std::optional<std::int64_t>>> AdminRepository::key_rate(const std::string& key_id) {
  db::Params p{key_id};
  auto r = co_await db_.query(kKeyRate, std::move(p));
  if (!r) co_return r.error();
  std::optional<std::int64_t> out;
  if (!r->empty()) out = r->integer(0, "rate");
  co_return out;
}

Task<Result<json>> AdminRepository::endpoints() {
  db::Params none;
  auto r = co_await db_.query(kEndpoints, std::move(none));
  if (!r) co_return r.error();
  co_return json::parse(r->get(0, 0));
}

Task<Result<std::optional<json>>> AdminRepository::endpoint(const std::string& id) {
  db::Params p{id};
  auto r = co_await db_.query(kEndpoint, std::move(p));
  if (!r) co_return r.error();
  std::optional<json> out;
  if (!r->empty()) out = json::parse(r->get(0, 0));
  co_return out;
}

namespace {
db::Params endpoint_params(const EndpointInput& in) {
  return db::Params{in.method,
                    in.path_pattern,
                    in.upstream_url,
                    in.description,
                    std::to_string(in.cost),
                    in.rate_limit_per_minute ? db::Param(std::to_string(*in.rate_limit_per_minute)) : db::Param(),
                    std::to_string(in.timeout_ms),
                    std::string(in.is_public ? "true" : "false"),
                    std::string(in.enabled ? "true" : "false")};
}
json endpoint_meta(const EndpointInput& in) {
  return {{"method", in.method}, {"pathPattern", in.path_pattern}, {"upstreamUrl", in.upstream_url},
          {"cost", in.cost},     {"isPublic", in.is_public},       {"enabled", in.enabled}};
}
}  // namespace

Task<Result<std::optional<json>>> AdminRepository::create_endpoint(const AdminActor& a, const EndpointInput& in) {
  auto tx = co_await db_.begin();
  if (!tx) co_return tx.error();
  auto& t = tx.value();
  db::Params p = endpoint_params(in);
  auto r = co_await t.query(kEndpointCreate, std::move(p));
  if (!r) co_return r.error();
  std::optional<json> out;
  if (r->empty()) {
    co_await t.rollback();
    co_return out;
  }
  const std::string id(r->get(0, "id"));
  db::Params ap = audit_params(a, "admin.endpoint.created", "api_endpoint", id, std::nullopt, endpoint_meta(in));
  if (auto w = co_await t.query(kAudit, std::move(ap)); !w) co_return w.error();
  if (auto c = co_await t.commit(); !c) co_return c.error();
  out = json::parse(r->get(0, "doc"));
  co_return out;
}

Task<Result<AdminRepository::EndpointWrite>> AdminRepository::update_endpoint(const AdminActor& a,
                                                                              const std::string& id,
                                                                              const EndpointInput& in) {
  auto tx = co_await db_.begin();
  if (!tx) co_return tx.error();
  auto& t = tx.value();
  db::Params p = endpoint_params(in);
  p.insert(p.begin(), id);
  auto r = co_await t.query(kEndpointUpdate, std::move(p));
  if (!r) co_return r.error();
  if (r->empty()) {
    co_await t.rollback();
    db::Params e{id};
    auto exists = co_await db_.query(kEndpoint, std::move(e));
    if (!exists) co_return exists.error();
    co_return exists->empty() ? EndpointWrite::not_found : EndpointWrite::conflict;
  }
  db::Params ap = audit_params(a, "admin.endpoint.updated", "api_endpoint", id, std::nullopt, endpoint_meta(in));
  if (auto w = co_await t.query(kAudit, std::move(ap)); !w) co_return w.error();
  if (auto c = co_await t.commit(); !c) co_return c.error();
  co_return EndpointWrite::done;
}

Task<Result<bool>> AdminRepository::delete_endpoint(const AdminActor& a, const std::string& id) {
  auto tx = co_await db_.begin();
  if (!tx) co_return tx.error();
  auto& t = tx.value();
  db::Params p{id};
  auto r = co_await t.query(kEndpointDelete, std::move(p));
  if (!r) co_return r.error();
  if (r->empty()) {
    co_await t.rollback();
    co_return false;
  }
  const json meta = {{"method", std::string(r->get(0, "method"))},
                     {"pathPattern", std::string(r->get(0, "path_pattern"))}};
  db::Params ap = audit_params(a, "admin.endpoint.deleted", "api_endpoint", id, std::nullopt, meta);
  if (auto w = co_await t.query(kAudit, std::move(ap)); !w) co_return w.error();
  if (auto c = co_await t.commit(); !c) co_return c.error();
  co_return true;
}

}  // namespace tg::admin
