#include "auth/auth_repository.hpp"

#include "auth/repository_detail.hpp"

namespace tg::auth {
namespace detail {
const std::string kUserColumnsSql =
    "u.id, u.email, u.name, u.company, u.avatar_url, u.role, u.status, u.password_hash, u.email_verified_at IS NOT "
    "NULL AS verified, "
    "u.totp_enabled_at IS NOT NULL AS two_factor, to_char(u.created_at AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS created, "
    "GREATEST(0, ceil(extract(epoch FROM (u.locked_until - now()))))::bigint AS locked_for, "
    "(SELECT o.id FROM organizations o WHERE o.owner_user_id = u.id AND o.personal) AS personal_org";
const db::Query kAudit{
    "auth_audit",
    "INSERT INTO audit_log (actor_type, actor_user_id, organization_id, action, target_type, target_id, "
    "outcome, ip, user_agent, request_id, metadata) VALUES ("
    "CASE WHEN $1::uuid IS NULL THEN 'anonymous' ELSE 'user' END, $1::uuid, "
    "(SELECT o.id FROM organizations o WHERE o.owner_user_id = $1::uuid AND o.personal), "
    "$2, 'user', $1::text, $3, $4::inet, left($5, 1024), $6, $7::jsonb)"};

UserRow to_user(const db::Rows& r, int i) {
  UserRow u;
  u.id = std::string(r.get(i, "id"));
  u.email = std::string(r.get(i, "email"));
  u.name = r.opt(i, "name");
  u.company = r.opt(i, "company");
  u.avatar_url = r.opt(i, "avatar_url");
  u.role = std::string(r.get(i, "role"));
  u.status = std::string(r.get(i, "status"));
  u.password_hash = r.opt(i, "password_hash");
  u.email_verified = r.boolean(i, "verified");
  u.two_factor = r.boolean(i, "two_factor");
  u.created_at = std::string(r.get(i, "created"));
  u.locked_for_seconds = r.integer(i, "locked_for");
  u.personal_org = r.opt(i, "personal_org");
  return u;
}

db::Param ip_or_null(const std::string& ip) {
  return ip.empty() ? db::Param{} : db::Param{ip};
}

db::Params audit_params(const std::optional<std::string>& user_id, const char* action, const char* outcome,
                        const SessionMeta& meta, const std::string& detail_json) {
  return db::Params{user_id,         std::string(action), std::string(outcome), ip_or_null(meta.ip),
                    meta.user_agent, meta.request_id,     detail_json};
}
}  // namespace detail

namespace {
using detail::ip_or_null;
using detail::kAudit;
using detail::to_user;

const db::Query kInsertUser{"auth_insert_user",
                            "INSERT INTO users (email, password_hash, password_changed_at, name, company) "
                            "VALUES ($1, $2, now(), $3, $4) RETURNING id"};
const db::Query kInsertOrg{
    "auth_insert_personal_org",
    "INSERT INTO organizations (name, personal, owner_user_id) VALUES ($1, true, $2) RETURNING id"};
// Same transaction as the account: the billing side effect is recorded exactly when the organization exists.
// The idempotency key makes a retried registration step harmless.
const db::Query kEnqueueCustomer{"auth_enqueue_stripe_customer",
                                 "INSERT INTO jobs (kind, payload, idempotency_key) VALUES ('stripe.create_customer', "
                                 "jsonb_build_object('organizationId', $1::text), 'stripe.create_customer:' || $1) "
                                 "ON CONFLICT (idempotency_key) DO NOTHING"};
const db::Query kInsertOwner{
    "auth_insert_owner", "INSERT INTO organization_members (organization_id, user_id, role) VALUES ($1, $2, 'OWNER')"};
const std::string kByEmailSql = "SELECT " + detail::kUserColumnsSql + " FROM users u WHERE lower(u.email) = lower($1)";
const std::string kByIdSql = "SELECT " + detail::kUserColumnsSql + " FROM users u WHERE u.id = $1::uuid";
const db::Query kByEmail{"auth_user_by_email", kByEmailSql.c_str()};
const db::Query kById{"auth_user_by_id", kByIdSql.c_str()};
const db::Query kFailure{
    "auth_record_failure",
    "UPDATE users SET failed_login_count = CASE WHEN last_failed_login_at > now() - interval '15 minutes' "
    "THEN failed_login_count + 1 ELSE 1 END, last_failed_login_at = now(), "
    "locked_until = CASE WHEN (CASE WHEN last_failed_login_at > now() - interval '15 minutes' "
    "THEN failed_login_count + 1 ELSE 1 END) >= $2::int THEN now() + make_interval(secs => $3::int) ELSE locked_until "
    "END "
    "WHERE id = $1::uuid RETURNING locked_until > now() AS locked, failed_login_count"};
const db::Query kSuccess{"auth_record_success",
                         "UPDATE users SET failed_login_count = 0, last_failed_login_at = NULL, locked_until = NULL, "
                         "last_login_at = now(), last_login_ip = $2::inet WHERE id = $1::uuid"};
const db::Query kCreateSession{"auth_create_session",
                               "INSERT INTO sessions (family_id, user_id, token_hash, user_agent, ip, expires_at) "
                               "VALUES (gen_random_uuid(), $1::uuid, decode($2, 'hex'), left($3, 1024), $4::inet, "
                               "now() + make_interval(secs => $5::int)) RETURNING family_id"};
// Any row of the family carries it (rotation does not copy it; the first row keeps it).
const db::Query kMarkMfa{"auth_mark_mfa_verified",
                         "UPDATE sessions SET mfa_verified_at = now() WHERE family_id = $1::uuid AND user_id = "
                         "$2::uuid AND revoked_at IS NULL"};
const db::Query kMfaVerified{"auth_mfa_verified",
                             "SELECT 1 FROM sessions WHERE family_id = $1::uuid AND user_id = $2::uuid AND "
                             "mfa_verified_at IS NOT NULL AND revoked_at IS NULL LIMIT 1"};
const db::Query kRehash{"auth_rehash_password",
                        "UPDATE users SET password_hash = $3 WHERE id = $1::uuid AND password_hash = $2"};
const db::Query kLockSession{
    "auth_lock_session",
    "SELECT s.id, s.family_id, s.family_started_at, s.user_id, s.rotated_at IS NOT NULL AS rotated, "
    "s.revoked_at IS NOT NULL AS revoked, s.expires_at <= now() AS expired, u.status "
    "FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = decode($1, 'hex') FOR UPDATE OF s"};
const db::Query kRevokeFamilyById{"auth_revoke_family_by_id",
                                  "UPDATE sessions SET revoked_at = now(), revoke_reason = $2 "
                                  "WHERE family_id = $1::uuid AND revoked_at IS NULL"};
const db::Query kMarkRotated{"auth_mark_rotated",
                             "UPDATE sessions SET rotated_at = now(), last_used_at = now() WHERE id = $1::uuid"};
const db::Query kInsertChild{
    "auth_insert_child_session",
    "INSERT INTO sessions (family_id, user_id, token_hash, parent_id, family_started_at, user_agent, ip, expires_at) "
    "VALUES ($1::uuid, $2::uuid, decode($3, 'hex'), $4::uuid, $5::timestamptz, left($6, 1024), $7::inet, "
    "now() + make_interval(secs => $8::int))"};
const db::Query kRevokeFamilyByToken{
    "auth_revoke_family_by_token",
    "UPDATE sessions SET revoked_at = now(), revoke_reason = $2 WHERE revoked_at IS NULL AND family_id = "
    "(SELECT family_id FROM sessions WHERE token_hash = decode($1, 'hex'))"};
}  // namespace

Task<Result<UserRow>> AuthRepository::create_user(const std::string& email, const std::string& password_hash,
                                                  const std::optional<std::string>& name,
                                                  const std::optional<std::string>& company, const SessionMeta& meta,
                                                  std::optional<TokenIssue> verification) {
  auto tx = co_await db_.begin();
  if (!tx) co_return tx.error();
  auto& t = tx.value();
  db::Params user_params{email, password_hash, name, company};
  auto user = co_await t.query(kInsertUser, std::move(user_params));
  if (!user) co_return user.error();
  const std::string id(user->get(0, "id"));
  std::string org_name = "Personal workspace";
  if (name && !name->empty()) org_name = *name + "'s workspace";
  db::Params org_params{org_name, id};
  auto org = co_await t.query(kInsertOrg, std::move(org_params));
  if (!org) co_return org.error();
  const std::string org_id(org->get(0, "id"));
  db::Params member{org_id, id};
  if (auto r = co_await t.query(kInsertOwner, std::move(member)); !r) co_return r.error();
  db::Params job{org_id};
  if (auto r = co_await t.query(kEnqueueCustomer, std::move(job)); !r) co_return r.error();
  if (verification) {
    verification->user_id = id;
    if (verification->mail) verification->mail->user_id = id;
    if (auto r = co_await detail::insert_token(t, *verification); !r) co_return r.error();
  }
  db::Params audit{id, "auth.register", "success", ip_or_null(meta.ip), meta.user_agent, meta.request_id, "{}"};
  if (auto r = co_await t.query(kAudit, std::move(audit)); !r) co_return r.error();
  db::Params by_id{id};
  auto row = co_await t.query(kById, std::move(by_id));
  if (!row) co_return row.error();
  if (auto c = co_await t.commit(); !c) co_return c.error();
  co_return to_user(row.value(), 0);
}

Task<Result<std::optional<UserRow>>> AuthRepository::find_by_email(const std::string& email) {
  db::Params p{email};
  auto r = co_await db_.query(kByEmail, std::move(p));
  if (!r) co_return r.error();
  if (r->empty()) co_return std::optional<UserRow>{};
  co_return std::optional<UserRow>{to_user(r.value(), 0)};
}

Task<Result<std::optional<UserRow>>> AuthRepository::find_by_id(const std::string& id) {
  db::Params p{id};
  auto r = co_await db_.query(kById, std::move(p));
  if (!r) co_return r.error();
  if (r->empty()) co_return std::optional<UserRow>{};
  co_return std::optional<UserRow>{to_user(r.value(), 0)};
}

Task<Result<bool>> AuthRepository::record_failure(const std::string& user_id, int max_failures, int lock_seconds) {
  db::Params p{user_id, std::to_string(max_failures), std::to_string(lock_seconds)};
  auto r = co_await db_.query(kFailure, std::move(p));
  if (!r) co_return r.error();
  co_return !r->empty() && r->boolean(0, "locked") && r->integer(0, "failed_login_count") == max_failures;
}

Task<Status> AuthRepository::record_success(const std::string& user_id, const std::string& ip) {
  db::Params p{user_id, ip_or_null(ip)};
  auto r = co_await db_.query(kSuccess, std::move(p));
  if (!r) co_return r.error();
  co_return ok_status();
}

Task<Status> AuthRepository::mark_mfa_verified(const std::string& family_id, const std::string& user_id) {
  db::Params p{family_id, user_id};
  auto r = co_await db_.query(kMarkMfa, std::move(p));
  if (!r) co_return r.error();
  co_return ok_status();
}

Task<Result<bool>> AuthRepository::mfa_verified(const std::string& family_id, const std::string& user_id) {
  db::Params p{family_id, user_id};
  auto r = co_await db_.query(kMfaVerified, std::move(p));
  if (!r) co_return r.error();
  co_return !r->empty();
}

Task<Result<std::string>> AuthRepository::create_session(const std::string& user_id, const std::string& hash_hex,
                                                         int ttl, const SessionMeta& meta) {
  db::Params p{user_id, hash_hex, meta.user_agent, ip_or_null(meta.ip), std::to_string(ttl)};
  auto r = co_await db_.query(kCreateSession, std::move(p));
  if (!r) co_return r.error();
  co_return std::string(r->get(0, "family_id"));
}

Task<Status> AuthRepository::rehash_password(const std::string& user_id, const std::string& old_hash,
                                             const std::string& new_hash) {
  db::Params p{user_id, old_hash, new_hash};
  auto r = co_await db_.query(kRehash, std::move(p));
  if (!r) co_return r.error();
  co_return ok_status();
}

Task<Status> AuthRepository::enqueue_mail(const mail::OutgoingMail& m) {
  db::Params p = mail::enqueue_params(m);
  auto r = co_await db_.query(mail::kEnqueueMail, std::move(p));
  if (!r) co_return r.error();
  co_return ok_status();
}

Task<Result<RotatedSession>> AuthRepository::rotate_session(const std::string& old_hex, const std::string& new_hex,
                                                            int ttl, const SessionMeta& meta) {
  auto tx = co_await db_.begin();
  if (!tx) co_return tx.error();
  auto& t = tx.value();
  db::Params lock{old_hex};
  auto s = co_await t.query(kLockSession, std::move(lock));
  if (!s) co_return s.error();
  RotatedSession out;
  if (s->empty()) {
    co_await t.rollback();
    co_return out;
  }
  out.user_id = std::string(s->get(0, "user_id"));
  const std::string family(s->get(0, "family_id"));
  out.family_id = family;
  if (s->boolean(0, "rotated") && !s->boolean(0, "revoked")) {
    // A spent token came back: someone holds a copy. Revoke every session of the family.
    db::Params revoke{family, "reuse_detected"};
    if (auto r = co_await t.query(kRevokeFamilyById, std::move(revoke)); !r) co_return r.error();
    if (auto c = co_await t.commit(); !c) co_return c.error();
    out.outcome = RefreshOutcome::reused;
    co_return out;
  }
  if (s->boolean(0, "revoked") || s->boolean(0, "rotated") || s->boolean(0, "expired") ||
      s->get(0, "status") != "active") {
    co_await t.rollback();
    co_return out;
  }
  db::Params mark{std::string(s->get(0, "id"))};
  if (auto r = co_await t.query(kMarkRotated, std::move(mark)); !r) co_return r.error();
  db::Params child{family,
                   out.user_id,
                   new_hex,
                   std::string(s->get(0, "id")),
                   std::string(s->get(0, "family_started_at")),
                   meta.user_agent,
                   ip_or_null(meta.ip),
                   std::to_string(ttl)};
  if (auto r = co_await t.query(kInsertChild, std::move(child)); !r) co_return r.error();
  if (auto c = co_await t.commit(); !c) co_return c.error();
  out.outcome = RefreshOutcome::rotated;
  co_return out;
}

Task<Status> AuthRepository::revoke_family(const std::string& hash_hex, const char* reason) {
  db::Params p{hash_hex, std::string(reason)};
  auto r = co_await db_.query(kRevokeFamilyByToken, std::move(p));
  if (!r) co_return r.error();
  co_return ok_status();
}

Task<Status> AuthRepository::audit(const std::optional<std::string>& user_id, const char* action, const char* outcome,
                                   const SessionMeta& meta, const char* detail_json) {
  db::Params p = detail::audit_params(user_id, action, outcome, meta, detail_json);
  auto r = co_await db_.query(kAudit, std::move(p));
  if (!r) co_return r.error();
  co_return ok_status();
}

}  // namespace tg::auth
