// Profile changes, account deletion and the audit trail page of the auth repository.
#include "auth/repository_detail.hpp"
#include "notifications/notification_repository.hpp"

namespace tg::auth {
namespace {
using detail::kAudit;

const db::Query kUpdateProfile{"account_update_profile",
                               "UPDATE users SET name = CASE WHEN $2::boolean THEN $3 ELSE name END, "
                               "company = CASE WHEN $4::boolean THEN $5 ELSE company END, "
                               "avatar_url = CASE WHEN $6::boolean THEN $7 ELSE avatar_url END "
                               "WHERE id = $1::uuid AND status = 'active' RETURNING id"};
const std::string kByIdSql = "SELECT " + detail::kUserColumnsSql + " FROM users u WHERE u.id = $1::uuid";
const db::Query kById{"account_user_by_id", kByIdSql.c_str()};
const db::Query kOwnsTeams{"account_owns_teams",
                           "SELECT count(*) AS n FROM organizations WHERE owner_user_id = $1::uuid AND NOT personal "
                           "AND status <> 'deleted'"};
const db::Query kPersonalOrg{"account_personal_org",
                             "SELECT id FROM organizations WHERE owner_user_id = $1::uuid AND personal"};
const db::Query kRevokeOrgKeys{"account_revoke_org_keys",
                               "UPDATE api_keys SET status = 'revoked', revoked_at = now(), revoked_by = $2::uuid "
                               "WHERE organization_id = $1::uuid AND status <> 'revoked'"};
const db::Query kDeleteOrg{
    "account_delete_personal_org",
    "UPDATE organizations SET status = 'deleted', deleted_at = now(), name = 'Deleted workspace', "
    "billing_email = NULL WHERE id = $1::uuid"};
const db::Query kLeaveOrgs{"account_leave_orgs",
                           "DELETE FROM organization_members WHERE user_id = $1::uuid AND organization_id NOT IN "
                           "(SELECT id FROM organizations WHERE owner_user_id = $1::uuid)"};
const db::Query kDeleteSessions{"account_delete_sessions", "DELETE FROM sessions WHERE user_id = $1::uuid"};
const db::Query kDeleteTokens{"account_delete_tokens", "DELETE FROM one_time_tokens WHERE user_id = $1::uuid"};
const db::Query kDeleteCodes{"account_delete_codes", "DELETE FROM mfa_recovery_codes WHERE user_id = $1::uuid"};
const db::Query kAnonymize{
    "account_anonymize",
    "UPDATE users SET status = 'deleted', deleted_at = now(), email = 'deleted-' || id || '@deleted.invalid', "
    "password_hash = NULL, name = NULL, company = NULL, avatar_url = NULL, totp_secret_enc = NULL, "
    "totp_enabled_at = NULL, totp_last_step = NULL, email_verified_at = NULL, last_login_ip = NULL, "
    "notification_prefs = '{}' WHERE id = $1::uuid AND status <> 'deleted' RETURNING id"};
const db::Query kStripeCleanup{"account_enqueue_stripe_cleanup",
                               "INSERT INTO jobs (kind, payload, idempotency_key) VALUES ('stripe.delete_customer', "
                               "jsonb_build_object('organizationId', $1::text), 'stripe.delete_customer:' || $1) "
                               "ON CONFLICT (idempotency_key) DO NOTHING"};

const db::Query* const kPersonalDataQueries[] = {&kLeaveOrgs, &kDeleteSessions, &kDeleteTokens, &kDeleteCodes};

}  // namespace

Task<Status> AuthRepository::notify(const std::string& user_id, const std::string& kind, const nlohmann::json& payload,
                                    const std::string& dedupe_key, const std::string& mail_template,
                                    const nlohmann::json& mail_payload) {
  db::Params p{user_id, db::Param(), kind, payload.dump(), dedupe_key, mail_template, mail_payload.dump()};
  auto r = co_await db_.query(notifications::kNotify, std::move(p));
  if (!r) co_return r.error();
  co_return ok_status();
}

Task<Result<UserRow>> AuthRepository::update_profile(const std::string& user_id, const ProfileChange& c,
                                                     const SessionMeta& meta) {
  auto tx = co_await db_.begin();
  if (!tx) co_return tx.error();
  auto& t = tx.value();
  db::Params p{user_id,     std::string(c.set_name ? "true" : "false"),
               c.name,      std::string(c.set_company ? "true" : "false"),
               c.company,   std::string(c.set_avatar ? "true" : "false"),
               c.avatar_url};
  auto r = co_await t.query(kUpdateProfile, std::move(p));
  if (!r) co_return r.error();
  if (r->empty()) co_return Error::of(ErrorCode::Unauthorized, "The account is not active.");
  nlohmann::json fields = nlohmann::json::array();
  if (c.set_name) fields.push_back("name");
  if (c.set_company) fields.push_back("company");
  if (c.set_avatar) fields.push_back("avatarUrl");
  const nlohmann::json detail_obj = {{"fields", fields}};
  const std::optional<std::string> uid = user_id;
  db::Params a = detail::audit_params(uid, "account.updated", "success", meta, detail_obj.dump());
  if (auto ar = co_await t.query(kAudit, std::move(a)); !ar) co_return ar.error();
  db::Params by_id{user_id};
  auto row = co_await t.query(kById, std::move(by_id));
  if (!row) co_return row.error();
  if (auto cm = co_await t.commit(); !cm) co_return cm.error();
  co_return detail::to_user(row.value(), 0);
}

Task<Status> AuthRepository::delete_account(const std::string& user_id, const SessionMeta& meta,
                                            const std::optional<mail::OutgoingMail>& goodbye, const db::Query* also,
                                            db::Params also_params) {
  auto tx = co_await db_.begin();
  if (!tx) co_return tx.error();
  auto& t = tx.value();
  db::Params owns{user_id};
  auto teams = co_await t.query(kOwnsTeams, std::move(owns));
  if (!teams) co_return teams.error();
  if (teams->integer(0, "n") > 0) {
    co_await t.rollback();
    co_return Error::coded(ErrorCode::Conflict, "OWNS_ORGANIZATIONS",
                           "Transfer or delete the team organizations you own before deleting your account.");
  }
  // Audit first: the row names the personal organization, which is still linked to the user here.
  const std::optional<std::string> uid = user_id;
  db::Params a = detail::audit_params(uid, "account.deleted", "success", meta, "{}");
  if (auto ar = co_await t.query(kAudit, std::move(a)); !ar) co_return ar.error();
  db::Params org_q{user_id};
  auto org = co_await t.query(kPersonalOrg, std::move(org_q));
  if (!org) co_return org.error();
  if (!org->empty()) {
    const std::string org_id(org->get(0, "id"));
    db::Params keys{org_id, user_id};
    if (auto r = co_await t.query(kRevokeOrgKeys, std::move(keys)); !r) co_return r.error();
    db::Params del{org_id};
    if (auto r = co_await t.query(kDeleteOrg, std::move(del)); !r) co_return r.error();
    db::Params job{org_id};
    if (auto r = co_await t.query(kStripeCleanup, std::move(job)); !r) co_return r.error();
  }
  for (const db::Query* q : kPersonalDataQueries) {
    db::Params p{user_id};
    if (auto r = co_await t.query(*q, std::move(p)); !r) co_return r.error();
  }
  if (goodbye) {
    db::Params m = mail::enqueue_params(*goodbye);
    if (auto r = co_await t.query(mail::kEnqueueMail, std::move(m)); !r) co_return r.error();
  }
  // What the caller adds to the same transaction (an administrator's audit row).
  if (also) {
    if (auto r = co_await t.query(*also, std::move(also_params)); !r) co_return r.error();
  }
  db::Params anon{user_id};
  auto r = co_await t.query(kAnonymize, std::move(anon));
  if (!r) co_return r.error();
  if (r->empty()) co_return Error::of(ErrorCode::Unauthorized, "The account no longer exists.");
  co_return co_await t.commit();
}

}  // namespace tg::auth
