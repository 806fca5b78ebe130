#include "accounts/bootstrap.hpp"

#include "accounts/password.hpp"

namespace tg::accounts {
namespace {
constexpr db::Query kAnyAdmin{"accounts_any_admin",
                              "SELECT 1 FROM users WHERE role = 'ADMIN' AND status <> 'deleted' LIMIT 1"};
constexpr db::Query kInsertUser{
    "accounts_insert_admin",
    "INSERT INTO users (email, password_hash, password_changed_at, name, role, email_verified_at) "
    "VALUES ($1, $2, now(), 'Administrator', 'ADMIN', now()) RETURNING id"};
constexpr db::Query kInsertOrg{
    "accounts_insert_personal_org",
    "INSERT INTO organizations (name, personal, owner_user_id) VALUES ($1, true, $2) RETURNING id"};
constexpr db::Query kInsertOwner{
    "accounts_insert_owner",
    "INSERT INTO organization_members (organization_id, user_id, role) VALUES ($1, $2, 'OWNER')"};
constexpr db::Query kAudit{
    "accounts_audit_bootstrap",
    "INSERT INTO audit_log (actor_type, actor_user_id, organization_id, action, target_type, target_id) "
    "VALUES ('system', NULL, $2, 'admin.bootstrap.created', 'user', $1)"};
}  // namespace

Task<Result<AdminOutcome>> create_admin(db::Database& db, const AdminRequest& req) {
  auto hash = hash_password(req.password);
  if (!hash) co_return Error::of(ErrorCode::Internal, "password hashing failed");
  auto tx = co_await db.begin();
  if (!tx) co_return tx.error();
  auto& t = tx.value();
  if (req.only_if_none) {
    auto any = co_await t.query(kAnyAdmin);
    if (!any) co_return any.error();
    if (!any->empty()) {
      co_await t.rollback();
      co_return AdminOutcome::already_exists;
    }
  }
  db::Params user_params{req.email, *hash};
  auto user = co_await t.query(kInsertUser, std::move(user_params));
  if (!user) co_return user.error();
  std::string user_id(user->get(0, "id"));
  db::Params org_params{"Administrator's workspace", user_id};
  auto org = co_await t.query(kInsertOrg, std::move(org_params));
  if (!org) co_return org.error();
  std::string org_id(org->get(0, "id"));
  db::Params member{org_id, user_id};
  if (auto r = co_await t.query(kInsertOwner, std::move(member)); !r) co_return r.error();
  db::Params audit{user_id, org_id};
  if (auto r = co_await t.query(kAudit, std::move(audit)); !r) co_return r.error();
  if (auto c = co_await t.commit(); !c) co_return c.error();
  co_return AdminOutcome::created;
}

}  // namespace tg::accounts
