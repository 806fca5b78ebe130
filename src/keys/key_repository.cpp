#include "keys/key_repository.hpp"

namespace tg::keys {
namespace {

#define TG_ISO(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
constexpr const char* kKeyColumns =
    "k.id, k.name, k.prefix, k.environment, "
    "CASE WHEN k.status = 'revoked' OR (k.grace_ends_at IS NOT NULL AND k.grace_ends_at <= now()) THEN 'revoked' "
    "WHEN k.status = 'disabled' THEN 'disabled' "
    "WHEN k.expires_at IS NOT NULL AND k.expires_at <= now() THEN 'expired' ELSE 'active' END AS eff_status, " TG_ISO(
        "k.created_at") " AS created, " TG_ISO("k.expires_at") " AS expires, " TG_ISO("k.last_used_at") " AS last_used, "
    "host(k.last_used_ip) AS last_ip, k.rate_limit_per_minute, k.metadata::text AS metadata, k.rotated_from_id, " TG_ISO(
        "k.grace_ends_at") " AS grace_ends, " TG_ISO("k.revoked_at") " AS revoked";

const std::string kListSql = std::string("SELECT ") + kKeyColumns +
                             " FROM api_keys k WHERE k.organization_id = $1::uuid ORDER BY k.created_at DESC LIMIT 1000";
const std::string kGetSql =
    std::string("SELECT ") + kKeyColumns + " FROM api_keys k WHERE k.organization_id = $1::uuid AND k.id = $2::uuid";
const db::Query kList{"keys_list", kListSql.c_str()};
const db::Query kGet{"keys_get", kGetSql.c_str()};
// Keys that count against the plan: active, not expired, not on their way out after a rotation.
const db::Query kAllowance{
    "keys_allowance",
    "SELECT (SELECT count(*) FROM api_keys k WHERE k.organization_id = $1::uuid AND k.status = 'active' "
    "AND (k.expires_at IS NULL OR k.expires_at > now()) AND k.grace_ends_at IS NULL) AS active, "
    "(SELECT p.max_api_keys FROM plans p WHERE p.id = COALESCE((SELECT s.plan_id FROM subscriptions s "
    "WHERE s.organization_id = $1::uuid AND s.status IN ('trialing', 'active', 'past_due', 'unpaid', 'paused')), "
    "(SELECT id FROM plans WHERE slug = 'free'))) AS max"};
// NO KEY UPDATE: serializes key-limit checks without blocking the FOR KEY SHARE locks that inserts referencing the
// organization take (the usage shipper's rollups), which would otherwise deadlock with its api_keys update.
const db::Query kLockOrg{"keys_lock_org", "SELECT id FROM organizations WHERE id = $1::uuid FOR NO KEY UPDATE"};
const db::Query kInsert{"keys_insert",
                        "INSERT INTO api_keys (organization_id, created_by, name, environment, prefix, key_hash, "
                        "expires_at, rate_limit_per_minute, metadata, rotated_from_id) VALUES ($1::uuid, $2::uuid, $3, "
                        "$4, $5, decode($6, 'hex'), $7::timestamptz, $8::int, $9::jsonb, $10::uuid) RETURNING id"};
const db::Query kLockKey{"keys_lock_key",
                         "SELECT status, grace_ends_at IS NOT NULL AS rotating, name, environment, expires_at, "
                         "rate_limit_per_minute, metadata::text AS metadata FROM api_keys "
                         "WHERE organization_id = $1::uuid AND id = $2::uuid FOR UPDATE"};
const db::Query kUpdate{"keys_update",
                        "UPDATE api_keys SET name = COALESCE($3, name), "
                        "status = COALESCE($4, status), "
                        "disabled_at = CASE WHEN $4 = 'disabled' AND status <> 'disabled' THEN now() "
                        "WHEN $4 = 'active' THEN NULL ELSE disabled_at END, "
                        "rate_limit_per_minute = CASE WHEN $5::boolean THEN $6::int ELSE rate_limit_per_minute END, "
                        "metadata = COALESCE($7::jsonb, metadata) "
                        "WHERE organization_id = $1::uuid AND id = $2::uuid"};
const db::Query kRevoke{"keys_revoke",
                        "UPDATE api_keys SET status = 'revoked', revoked_at = now(), revoked_by = $3::uuid "
                        "WHERE organization_id = $1::uuid AND id = $2::uuid AND status <> 'revoked' RETURNING id"};
const db::Query kExists{"keys_exists", "SELECT 1 FROM api_keys WHERE organization_id = $1::uuid AND id = $2::uuid"};
const db::Query kRetire{"keys_retire",
                        "UPDATE api_keys SET grace_ends_at = now() + make_interval(hours => $3::int), "
                        "status = CASE WHEN $3::int = 0 THEN 'revoked' ELSE status END, "
                        "revoked_at = CASE WHEN $3::int = 0 THEN now() ELSE revoked_at END, "
                        "revoked_by = CASE WHEN $3::int = 0 THEN $4::uuid ELSE revoked_by END "
                        "WHERE organization_id = $1::uuid AND id = $2::uuid"};
const db::Query kNotify{"keys_notify", "SELECT pg_notify('tollgate_keys', $1)"};
const db::Query kAudit{
    "keys_audit",
    "INSERT INTO audit_log (actor_type, actor_user_id, organization_id, action, target_type, target_id, outcome, ip, "
    "user_agent, request_id, metadata) VALUES ('user', $1::uuid, $2::uuid, $3, 'api_key', $4, 'success', $5::inet, "
    "left($6, 1024), $7, $8::jsonb)"};

nlohmann::json opt(const db::Rows& r, int i, const char* col) {
  auto v = r.opt(i, col);
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json key_json(const db::Rows& r, int i) {
  auto meta = nlohmann::json::parse(r.get(i, "metadata"), nullptr, false);
  nlohmann::json rate = nullptr;
  if (!r.is_null(i, r.column("rate_limit_per_minute"))) rate = r.integer(i, "rate_limit_per_minute");
  return {{"id", std::string(r.get(i, "id"))},
          {"name", std::string(r.get(i, "name"))},
          {"prefix", std::string(r.get(i, "prefix"))},
          {"environment", std::string(r.get(i, "environment"))},
          {"status", std::string(r.get(i, "eff_status"))},
          {"createdAt", std::string(r.get(i, "created"))},
          {"expiresAt", opt(r, i, "expires")},
          {"lastUsedAt", opt(r, i, "last_used")},
          {"lastUsedIp", opt(r, i, "last_ip")},
          {"rateLimitPerMinute", rate},
          {"metadata", meta.is_object() ? meta : nlohmann::json::object()},
          {"rotatedFromId", opt(r, i, "rotated_from_id")},
          {"graceEndsAt", opt(r, i, "grace_ends")},
          {"revokedAt", opt(r, i, "revoked")}};
}

db::Params audit_params(const KeyActor& a, const char* action, const std::string& key_id, const std::string& detail) {
  return db::Params{a.user_id,           a.organization_id, std::string(action), key_id,
                    a.meta.ip.empty() ? db::Param{} : db::Param{a.meta.ip}, a.meta.user_agent, a.meta.request_id,
                    detail};
}

Error limit_reached(std::int64_t max) {
  return Error::coded(ErrorCode::Forbidden, "KEY_LIMIT_REACHED",
                      "Your plan allows " + std::to_string(max) +
                          " active API keys. Revoke or disable one, or upgrade your plan.");
}
// Inside a transaction that holds the organization's row lock, so two creations cannot both take the last slot.
Task<Status> ensure_allowance(db::Transaction& t, const std::string& org_id) {
  db::Params p{org_id};
  auto allowance = co_await t.query(kAllowance, std::move(p));
  if (!allowance) co_return allowance.error();
  if (!allowance->is_null(0, allowance->column("max")) &&
      allowance->integer(0, "active") >= allowance->integer(0, "max")) {
    co_return limit_reached(allowance->integer(0, "max"));
  }
  co_return ok_status();
}
}  // namespace

Task<Result<nlohmann::json>> KeyRepository::list(const std::string& org_id, const std::string& filter) {
  db::Params p{org_id};
  auto r = co_await db_.query(kList, std::move(p));
  if (!r) co_return r.error();
  nlohmann::json keys = nlohmann::json::array();
  for (int i = 0; i < r->size(); ++i) {
    if (filter != "all" && r->get(i, "eff_status") != filter) continue;
    keys.push_back(key_json(r.value(), i));
  }
  db::Params a{org_id};
  auto allowance = co_await db_.query(kAllowance, std::move(a));
  if (!allowance) co_return allowance.error();
  nlohmann::json max = nullptr;
  if (!allowance->is_null(0, allowance->column("max"))) max = allowance->integer(0, "max");
  const nlohmann::json out = {{"keys", keys}, {"allowance", {{"active", allowance->integer(0, "active")}, {"max", max}}}};
  co_return out;
}

Task<Result<std::optional<nlohmann::json>>> KeyRepository::get(const std::string& org_id, const std::string& key_id) {
  db::Params p{org_id, key_id};
  auto r = co_await db_.query(kGet, std::move(p));
  if (!r) co_return r.error();
  if (r->empty()) co_return std::optional<nlohmann::json>{};
  co_return std::optional<nlohmann::json>{key_json(r.value(), 0)};
}

Task<Result<nlohmann::json>> KeyRepository::create(const KeyActor& actor, const CreateKey& in, const std::string& prefix,
                                                   const std::string& hash_hex) {
  auto tx = co_await db_.begin();
  if (!tx) co_return tx.error();
  auto& t = tx.value();
  db::Params lock{actor.organization_id};
  if (auto r = co_await t.query(kLockOrg, std::move(lock)); !r) co_return r.error();
  if (auto room = co_await ensure_allowance(t, actor.organization_id); !room) {
    co_await t.rollback();
    co_return room.error();
  }
  db::Param rate;
  if (in.rate_limit) rate = std::to_string(*in.rate_limit);
  db::Params ins{actor.organization_id, actor.user_id, in.name, in.environment, prefix, hash_hex, in.expires_at, rate,
                 in.metadata_json, db::Param{}};
  auto id = co_await t.query(kInsert, std::move(ins));
  if (!id) co_return id.error();
  const std::string key_id(id->get(0, "id"));
  const nlohmann::json detail = {{"name", in.name}, {"environment", in.environment}, {"prefix", prefix}};
  db::Params audit = audit_params(actor, "api_key.created", key_id, detail.dump());
  if (auto r = co_await t.query(kAudit, std::move(audit)); !r) co_return r.error();
  db::Params g{actor.organization_id, key_id};
  auto row = co_await t.query(kGet, std::move(g));
  if (!row) co_return row.error();
  if (auto c = co_await t.commit(); !c) co_return c.error();
  co_return key_json(row.value(), 0);
}

Task<Result<std::optional<nlohmann::json>>> KeyRepository::update(const KeyActor& actor, const std::string& key_id,
                                                                  const UpdateKey& in) {
  auto tx = co_await db_.begin();
  if (!tx) co_return tx.error();
  auto& t = tx.value();
  db::Params lock_org{actor.organization_id};
  if (auto r = co_await t.query(kLockOrg, std::move(lock_org)); !r) co_return r.error();
  db::Params lock{actor.organization_id, key_id};
  auto cur = co_await t.query(kLockKey, std::move(lock));
  if (!cur) co_return cur.error();
  if (cur->empty()) {
    co_await t.rollback();
    co_return std::optional<nlohmann::json>{};
  }
  if (cur->get(0, "status") == "revoked") {
    co_await t.rollback();
    co_return Error::coded(ErrorCode::Conflict, "KEY_REVOKED", "This key is revoked and can no longer change.");
  }
  if (in.status && *in.status == "active" && cur->get(0, "status") != "active") {
    if (auto room = co_await ensure_allowance(t, actor.organization_id); !room) {
      co_await t.rollback();
      co_return room.error();
    }
  }
  db::Param rate;
  if (in.rate_limit) rate = std::to_string(*in.rate_limit);
  db::Params upd{actor.organization_id, key_id, in.name, in.status, std::string(in.set_rate_limit ? "true" : "false"),
                 rate, in.metadata_json};
  if (auto r = co_await t.query(kUpdate, std::move(upd)); !r) co_return r.error();
  const char* action = "api_key.updated";
  if (in.status && *in.status == "disabled" && cur->get(0, "status") != "disabled") action = "api_key.disabled";
  if (in.status && *in.status == "active" && cur->get(0, "status") == "disabled") action = "api_key.enabled";
  nlohmann::json fields = nlohmann::json::array();
  if (in.name) fields.push_back("name");
  if (in.status) fields.push_back("status");
  if (in.set_rate_limit) fields.push_back("rateLimitPerMinute");
  if (in.metadata_json) fields.push_back("metadata");
  const nlohmann::json detail = {{"fields", fields}};
  db::Params audit = audit_params(actor, action, key_id, detail.dump());
  if (auto r = co_await t.query(kAudit, std::move(audit)); !r) co_return r.error();
  db::Params n{"key:" + key_id};
  if (auto r = co_await t.query(kNotify, std::move(n)); !r) co_return r.error();
  db::Params g{actor.organization_id, key_id};
  auto row = co_await t.query(kGet, std::move(g));
  if (!row) co_return row.error();
  if (auto c = co_await t.commit(); !c) co_return c.error();
  co_return std::optional<nlohmann::json>{key_json(row.value(), 0)};
}

Task<Result<bool>> KeyRepository::revoke(const KeyActor& actor, const std::string& key_id) {
  auto tx = co_await db_.begin();
  if (!tx) co_return tx.error();
  auto& t = tx.value();
  db::Params p{actor.organization_id, key_id, actor.user_id};
  auto r = co_await t.query(kRevoke, std::move(p));
  if (!r) co_return r.error();
  if (r->empty()) {
    co_await t.rollback();
    db::Params e{actor.organization_id, key_id};
    auto exists = co_await db_.query(kExists, std::move(e));
    if (!exists) co_return exists.error();
    co_return !exists->empty();  // already revoked: idempotent success
  }
  db::Params audit = audit_params(actor, "api_key.revoked", key_id, "{}");
  if (auto ar = co_await t.query(kAudit, std::move(audit)); !ar) co_return ar.error();
  db::Params n{"key:" + key_id};
  if (auto nr = co_await t.query(kNotify, std::move(n)); !nr) co_return nr.error();
  if (auto c = co_await t.commit(); !c) co_return c.error();
  co_return true;
}

Task<Result<std::optional<nlohmann::json>>> KeyRepository::rotate(const KeyActor& actor, const std::string& key_id,
                                                                  int grace_hours, const std::string& prefix,
                                                                  const std::string& hash_hex) {
  auto tx = co_await db_.begin();
  if (!tx) co_return tx.error();
  auto& t = tx.value();
  db::Params lock{actor.organization_id, key_id};
  auto cur = co_await t.query(kLockKey, std::move(lock));
  if (!cur) co_return cur.error();
  if (cur->empty()) {
    co_await t.rollback();
    co_return std::optional<nlohmann::json>{};
  }
  if (cur->get(0, "status") == "revoked") {
    co_await t.rollback();
    co_return Error::coded(ErrorCode::Conflict, "KEY_REVOKED", "This key is revoked; create a new key instead.");
  }
  if (cur->boolean(0, "rotating")) {
    co_await t.rollback();
    co_return Error::coded(ErrorCode::Conflict, "KEY_ALREADY_ROTATED",
                           "This key was already replaced; rotate its successor instead.");
  }
  db::Param rate = cur->opt(0, "rate_limit_per_minute");
  db::Params ins{actor.organization_id,
                 actor.user_id,
                 std::string(cur->get(0, "name")),
                 std::string(cur->get(0, "environment")),
                 prefix,
                 hash_hex,
                 cur->opt(0, "expires_at"),
                 rate,
                 std::string(cur->get(0, "metadata")),
                 key_id};
  auto id = co_await t.query(kInsert, std::move(ins));
  if (!id) co_return id.error();
  const std::string new_id(id->get(0, "id"));
  db::Params retire{actor.organization_id, key_id, std::to_string(grace_hours), actor.user_id};
  if (auto r = co_await t.query(kRetire, std::move(retire)); !r) co_return r.error();
  const nlohmann::json detail = {{"newKeyId", new_id}, {"gracePeriodHours", grace_hours}};
  db::Params audit = audit_params(actor, "api_key.rotated", key_id, detail.dump());
  if (auto r = co_await t.query(kAudit, std::move(audit)); !r) co_return r.error();
  db::Params n{"key:" + key_id};
  if (auto r = co_await t.query(kNotify, std::move(n)); !r) co_return r.error();
  db::Params g_new{actor.organization_id, new_id};
  auto fresh = co_await t.query(kGet, std::move(g_new));
  if (!fresh) co_return fresh.error();
  db::Params g_old{actor.organization_id, key_id};
  auto old = co_await t.query(kGet, std::move(g_old));
  if (!old) co_return old.error();
  if (auto c = co_await t.commit(); !c) co_return c.error();
  const nlohmann::json out = {{"key", key_json(fresh.value(), 0)}, {"previous", key_json(old.value(), 0)}};
  co_return std::optional<nlohmann::json>{out};
}

}  // namespace tg::keys
