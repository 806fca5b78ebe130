// One-time tokens, passwords and session management of the auth repository.
#include "auth/repository_detail.hpp"

namespace tg::auth {
namespace {
using detail::ip_or_null;
using detail::kAudit;

const db::Query kInvalidateTokens{"auth_invalidate_tokens",
                                  "UPDATE one_time_tokens SET used_at = now() "
                                  "WHERE user_id = $1::uuid AND purpose = $2 AND used_at IS NULL"};
const db::Query kInsertToken{"auth_insert_token",
                             "INSERT INTO one_time_tokens (user_id, purpose, token_hash, payload, ip, expires_at) "
                             "VALUES ($1::uuid, $2, decode($3, 'hex'), $4::jsonb, $5::inet, "
                             "now() + make_interval(secs => $6::int))"};
const db::Query kConsumeToken{"auth_consume_token",
                              "UPDATE one_time_tokens SET used_at = now() "
                              "WHERE token_hash = decode($1, 'hex') AND purpose = $2 AND used_at IS NULL "
                              "AND expires_at > now() RETURNING user_id, purpose, payload::text AS payload"};
const db::Query kPeekToken{"auth_peek_token",
                           "SELECT user_id, purpose, payload::text AS payload FROM one_time_tokens "
                           "WHERE token_hash = decode($1, 'hex') AND purpose = $2 AND used_at IS NULL "
                           "AND expires_at > now()"};
const db::Query kFailMfaToken{
    "auth_fail_mfa_token",
    "UPDATE one_time_tokens SET "
    "payload = jsonb_set(payload, '{attempts}', to_jsonb(COALESCE((payload->>'attempts')::int, 0) + 1)), "
    "used_at = CASE WHEN COALESCE((payload->>'attempts')::int, 0) + 1 >= $2::int THEN now() END "
    "WHERE token_hash = decode($1, 'hex') AND purpose = 'mfa_pending' AND used_at IS NULL "
    "RETURNING used_at IS NOT NULL AS burned"};
const db::Query kMarkVerified{"auth_mark_verified",
                              "UPDATE users SET email_verified_at = COALESCE(email_verified_at, now()) "
                              "WHERE id = $1::uuid AND lower(email) = lower($2) AND status = 'active' RETURNING id"};
const db::Query kChangeEmail{"auth_change_email",
                             "UPDATE users SET email = $2, email_verified_at = now() "
                             "WHERE id = $1::uuid AND status = 'active' RETURNING id"};
const db::Query kEmailTaken{"auth_email_taken", "SELECT 1 FROM users WHERE lower(email) = lower($1)"};
const db::Query kSetPassword{
    "auth_set_password",
    "UPDATE users SET password_hash = $2, password_changed_at = now(), failed_login_count = 0, "
    "locked_until = NULL WHERE id = $1::uuid AND status <> 'deleted' RETURNING id"};
const db::Query kRevokeAll{"auth_revoke_all",
                           "UPDATE sessions SET revoked_at = now(), revoke_reason = $2 "
                           "WHERE user_id = $1::uuid AND revoked_at IS NULL AND family_id::text <> $3"};
const db::Query kRevokeOne{"auth_revoke_one",
                           "UPDATE sessions SET revoked_at = now(), revoke_reason = $3 "
                           "WHERE user_id = $1::uuid AND family_id = $2::uuid AND revoked_at IS NULL RETURNING id"};
// One row per family: its live (newest) row, with the family's start as "signed in at".
const db::Query kListSessions{
    "auth_list_sessions",
    "SELECT family_id, user_agent, host(ip) AS ip, "
    "to_char(family_started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS created, "
    "to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS last_used, "
    "to_char(expires_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') AS expires "
    "FROM sessions WHERE user_id = $1::uuid AND rotated_at IS NULL AND revoked_at IS NULL AND expires_at > now() "
    "ORDER BY created_at DESC LIMIT 100"};
const db::Query kKnownDevice{"auth_known_device",
                             "SELECT 1 FROM sessions WHERE user_id = $1::uuid AND user_agent = left($2, 1024) LIMIT 1"};

TokenUse to_use(const db::Rows& r) {
  TokenUse u;
  u.user_id = std::string(r.get(0, "user_id"));
  u.purpose = std::string(r.get(0, "purpose"));
  u.payload = nlohmann::json::parse(r.get(0, "payload"), nullptr, false);
  if (!u.payload.is_object()) u.payload = nlohmann::json::object();
  return u;
}
}  // namespace

namespace detail {
Task<Status> insert_token(db::Transaction& t, const TokenIssue& issue) {
  db::Params p{issue.user_id,        std::string(issue.purpose), issue.token_hash_hex,
               issue.payload.dump(), ip_or_null(issue.ip),       std::to_string(issue.ttl_seconds)};
  if (auto r = co_await t.query(kInsertToken, std::move(p)); !r) co_return r.error();
  if (issue.mail) {
    db::Params m = mail::enqueue_params(*issue.mail);
    if (auto r = co_await t.query(mail::kEnqueueMail, std::move(m)); !r) co_return r.error();
  }
  co_return ok_status();
}
}  // namespace detail

Task<Status> AuthRepository::issue_token(const TokenIssue& issue, bool invalidate_previous) {
  auto tx = co_await db_.begin();
  if (!tx) co_return tx.error();
  auto& t = tx.value();
  if (invalidate_previous) {
    db::Params p{issue.user_id, std::string(issue.purpose)};
    if (auto r = co_await t.query(kInvalidateTokens, std::move(p)); !r) co_return r.error();
  }
  if (auto r = co_await detail::insert_token(t, issue); !r) co_return r.error();
  co_return co_await t.commit();
}

Task<Result<std::optional<TokenUse>>> AuthRepository::consume_token(const std::string& hash_hex, const char* purpose) {
  db::Params p{hash_hex, std::string(purpose)};
  auto r = co_await db_.query(kConsumeToken, std::move(p));
  if (!r) co_return r.error();
  if (r->empty()) co_return std::optional<TokenUse>{};
  co_return std::optional<TokenUse>{to_use(r.value())};
}

Task<Result<std::optional<TokenUse>>> AuthRepository::peek_token(const std::string& hash_hex, const char* purpose) {
  db::Params p{hash_hex, std::string(purpose)};
  auto r = co_await db_.query(kPeekToken, std::move(p));
  if (!r) co_return r.error();
  if (r->empty()) co_return std::optional<TokenUse>{};
  co_return std::optional<TokenUse>{to_use(r.value())};
}

Task<Result<bool>> AuthRepository::fail_mfa_token(const std::string& hash_hex, int max_attempts) {
  db::Params p{hash_hex, std::to_string(max_attempts)};
  auto r = co_await db_.query(kFailMfaToken, std::move(p));
  if (!r) co_return r.error();
  co_return r->empty() || r->boolean(0, "burned");
}

Task<Result<bool>> AuthRepository::mark_email_verified(const std::string& user_id, const std::string& email,
                                                       const SessionMeta& meta) {
  auto tx = co_await db_.begin();
  if (!tx) co_return tx.error();
  auto& t = tx.value();
  db::Params p{user_id, email};
  auto r = co_await t.query(kMarkVerified, std::move(p));
  if (!r) co_return r.error();
  if (r->empty()) {
    co_await t.rollback();
    co_return false;
  }
  const std::optional<std::string> uid = user_id;
  db::Params a = detail::audit_params(uid, "auth.email.verified", "success", meta, "{}");
  if (auto ar = co_await t.query(kAudit, std::move(a)); !ar) co_return ar.error();
  if (auto c = co_await t.commit(); !c) co_return c.error();
  co_return true;
}

Task<Status> AuthRepository::apply_email_change(const std::string& user_id, const std::string& new_email,
                                                const SessionMeta& meta) {
  auto tx = co_await db_.begin();
  if (!tx) co_return tx.error();
  auto& t = tx.value();
  db::Params p{user_id, new_email};
  auto r = co_await t.query(kChangeEmail, std::move(p));
  if (!r) co_return r.error();
  if (r->empty()) co_return Error::of(ErrorCode::NotFound, "account not active");
  const std::optional<std::string> uid = user_id;
  db::Params a = detail::audit_params(uid, "auth.email.changed", "success", meta, "{}");
  if (auto ar = co_await t.query(kAudit, std::move(a)); !ar) co_return ar.error();
  co_return co_await t.commit();
}

Task<Result<bool>> AuthRepository::email_taken(const std::string& email) {
  db::Params p{email};
  auto r = co_await db_.query(kEmailTaken, std::move(p));
  if (!r) co_return r.error();
  co_return !r->empty();
}

Task<Status> AuthRepository::set_password(const std::string& user_id, const std::string& hash,
                                          const char* revoke_reason, const std::string& except_family,
                                          const char* audit_action, const SessionMeta& meta,
                                          const std::optional<mail::OutgoingMail>& mail) {
  auto tx = co_await db_.begin();
  if (!tx) co_return tx.error();
  auto& t = tx.value();
  db::Params p{user_id, hash};
  auto r = co_await t.query(kSetPassword, std::move(p));
  if (!r) co_return r.error();
  if (r->empty()) co_return Error::of(ErrorCode::NotFound, "account not found");
  db::Params revoke{user_id, std::string(revoke_reason), except_family};
  if (auto rr = co_await t.query(kRevokeAll, std::move(revoke)); !rr) co_return rr.error();
  // A reset link for the old password must not outlive the change.
  db::Params inval{user_id, std::string("password_reset")};
  if (auto ir = co_await t.query(kInvalidateTokens, std::move(inval)); !ir) co_return ir.error();
  const std::optional<std::string> uid = user_id;
  db::Params a = detail::audit_params(uid, audit_action, "success", meta, "{}");
  if (auto ar = co_await t.query(kAudit, std::move(a)); !ar) co_return ar.error();
  if (mail) {
    db::Params m = mail::enqueue_params(*mail);
    if (auto mr = co_await t.query(mail::kEnqueueMail, std::move(m)); !mr) co_return mr.error();
  }
  co_return co_await t.commit();
}

Task<Result<std::vector<SessionInfo>>> AuthRepository::list_sessions(const std::string& user_id) {
  db::Params p{user_id};
  auto r = co_await db_.query(kListSessions, std::move(p));
  if (!r) co_return r.error();
  std::vector<SessionInfo> out;
  for (int i = 0; i < r->size(); ++i) {
    SessionInfo s;
    s.id = std::string(r->get(i, "family_id"));
    s.user_agent = r->opt(i, "user_agent");
    s.ip = r->opt(i, "ip");
    s.created_at = std::string(r->get(i, "created"));
    s.last_used_at = std::string(r->get(i, "last_used"));
    s.expires_at = std::string(r->get(i, "expires"));
    out.push_back(std::move(s));
  }
  co_return out;
}

Task<Result<bool>> AuthRepository::revoke_session(const std::string& user_id, const std::string& family_id,
                                                  const char* reason) {
  db::Params p{user_id, family_id, std::string(reason)};
  auto r = co_await db_.query(kRevokeOne, std::move(p));
  if (!r) co_return r.error();
  co_return !r->empty();
}

Task<Status> AuthRepository::revoke_all_sessions(const std::string& user_id, const char* reason) {
  db::Params p{user_id, std::string(reason), std::string()};
  auto r = co_await db_.query(kRevokeAll, std::move(p));
  if (!r) co_return r.error();
  co_return ok_status();
}

Task<Result<bool>> AuthRepository::known_device(const std::string& user_id, const std::string& user_agent) {
  db::Params p{user_id, user_agent};
  auto r = co_await db_.query(kKnownDevice, std::move(p));
  if (!r) co_return r.error();
  co_return !r->empty();
}

}  // namespace tg::auth
