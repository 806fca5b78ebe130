// Changes to the signed-in user's own account: profile, password, email address, deletion.
#include "auth/auth_service.hpp"
#include "core/metrics.hpp"

namespace tg::auth {

Task<Result<UserRow>> AuthService::update_profile(const std::string& user_id, const ProfileChange& change,
                                                  const SessionMeta& meta) {
  co_return co_await repo_.update_profile(user_id, change, meta);
}

Task<Status> AuthService::change_password(const std::string& user_id, const std::string& current,
                                          const std::string& next, const std::string& session_id,
                                          const SessionMeta& meta) {
  auto user = co_await user_with_password(user_id, current);
  if (!user) {
    if (user.error().public_code == "INVALID_PASSWORD") {
      const std::optional<std::string> uid = user_id;
      co_await repo_.audit(uid, "auth.password.change_failed", "failure", meta);
    }
    co_return user.error();
  }
  auto fresh = co_await hash_password(next);
  if (!fresh) co_return Error::of(ErrorCode::Internal, "password hashing failed");
  mail::OutgoingMail m;
  m.user_id = user_id;
  m.to = user->email;
  m.tmpl = "password_changed";
  m.payload = {{"ip", meta.ip}, {"userAgent", meta.user_agent}};
  if (user->name) m.payload["name"] = *user->name;
  const std::optional<mail::OutgoingMail> notice = std::move(m);
  // Every other device signs in again; the one that made the change keeps its session.
  co_return co_await repo_.set_password(user_id, *fresh, "password_changed", session_id, "auth.password.changed", meta,
                                        notice);
}

Task<Status> AuthService::change_email(const std::string& user_id, const std::string& password,
                                       const std::string& new_email, const SessionMeta& meta) {
  auto user = co_await user_with_password(user_id, password);
  if (!user) co_return user.error();
  auto taken = co_await repo_.email_taken(new_email);
  if (!taken) co_return taken.error();
  if (taken.value()) {
    co_return Error::coded(ErrorCode::Conflict, "EMAIL_TAKEN", "An account with this email already exists.");
  }
  const std::string token = crypto::random_token();
  TokenIssue issue{user_id, "email_change", sha256_hex(token), s_.verify_ttl_seconds};
  issue.payload = {{"newEmail", new_email}};
  issue.ip = meta.ip;
  mail::OutgoingMail verify;
  verify.user_id = user_id;
  verify.to = new_email;
  verify.tmpl = "email_change_verify";
  verify.payload = {{"token", token}};
  if (user->name) verify.payload["name"] = *user->name;
  issue.mail = std::move(verify);
  if (auto r = co_await repo_.issue_token(issue, true); !r) co_return r.error();
  mail::OutgoingMail notice;
  notice.user_id = user_id;
  notice.to = user->email;
  notice.tmpl = "email_change_notice";
  notice.payload = {{"newEmail", new_email}};
  if (user->name) notice.payload["name"] = *user->name;
  co_await repo_.enqueue_mail(notice);
  const std::optional<std::string> uid = user_id;
  co_await repo_.audit(uid, "auth.email.change_requested", "success", meta);
  co_return ok_status();
}

Task<Status> AuthService::delete_account(const std::string& user_id, const std::string& password,
                                         const SessionMeta& meta) {
  auto user = co_await user_with_password(user_id, password);
  if (!user) co_return user.error();
  const std::optional<mail::OutgoingMail> no_goodbye;  // the address is erased with the account
  db::Params nothing_else;
  if (auto r = co_await repo_.delete_account(user_id, meta, no_goodbye, nullptr, std::move(nothing_else)); !r)
    co_return r.error();
  static auto& deleted =
      metrics::registry().counter("tollgate_accounts_deleted_total", "Accounts deleted by their owner");
  deleted.inc();
  co_return ok_status();
}

}  // namespace tg::auth
