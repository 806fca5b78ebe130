// Email verification and password reset: tokens are random, stored as SHA-256, single use and short-lived; the
// answers never tell whether an address has an account.
#include <cctype>

#include "auth/auth_service.hpp"
#include "core/log.hpp"

namespace tg::auth {
namespace {
Error invalid_token() {
  return Error::coded(ErrorCode::BadRequest, "INVALID_TOKEN",
                      "This link is invalid, was already used or has expired. Ask for a new one.");
}
std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
}  // namespace

Task<Status> AuthService::throttle_mail(const char* what, const std::string& email) {
  if (!limiter_) co_return ok_status();
  const std::string key = std::string("mail:") + what + ":" + lower(email);
  auto d = co_await limiter_->hit(key, s_.mail_requests, 1);
  if (d.allowed) co_return ok_status();
  const std::int64_t retry = std::max<std::int64_t>(1, (d.retry_after_ms + 999) / 1000);
  co_return Error::coded(ErrorCode::RateLimited, "RATE_LIMITED",
                         "Too many emails asked for this address. Try again later.")
      .with_header("Retry-After", std::to_string(retry));
}

Task<Result<std::string>> AuthService::verify_email(const std::string& token, const SessionMeta& meta) {
  if (token.empty() || token.size() > 256) co_return invalid_token();
  const std::string hash = sha256_hex(token);
  auto verify = co_await repo_.consume_token(hash, "email_verify");
  if (!verify) co_return verify.error();
  if (verify.value()) {
    const std::string user_id = verify.value()->user_id;
    const std::string email = verify.value()->payload.value("email", "");
    auto marked = co_await repo_.mark_email_verified(user_id, email, meta);
    if (!marked) co_return marked.error();
    if (!marked.value()) co_return invalid_token();  // the account's address changed since the mail was sent
    co_return email;
  }
  auto change = co_await repo_.consume_token(hash, "email_change");
  if (!change) co_return change.error();
  if (!change.value()) co_return invalid_token();
  const std::string user_id = change.value()->user_id;
  const std::string new_email = change.value()->payload.value("newEmail", "");
  if (new_email.empty()) co_return invalid_token();
  auto applied = co_await repo_.apply_email_change(user_id, new_email, meta);
  if (!applied) {
    if (applied.error().code == ErrorCode::Conflict) {
      co_return Error::coded(ErrorCode::Conflict, "EMAIL_TAKEN",
                             "Another account uses this address now. Ask for the change again with another address.");
    }
    if (applied.error().code == ErrorCode::NotFound) co_return invalid_token();
    co_return applied.error();
  }
  co_return new_email;
}

Task<Status> AuthService::resend_verification(const std::string& email, const SessionMeta& meta) {
  if (auto t = co_await throttle_mail("verify", email); !t) co_return t.error();
  auto found = co_await repo_.find_by_email(email);
  if (!found) co_return found.error();
  const auto& user = found.value();
  if (!user || user->status != "active" || user->email_verified) co_return ok_status();
  const std::string token = crypto::random_token();
  TokenIssue issue{user->id, "email_verify", sha256_hex(token), s_.verify_ttl_seconds};
  issue.payload = {{"email", user->email}};
  issue.ip = meta.ip;
  mail::OutgoingMail m;
  m.user_id = user->id;
  m.to = user->email;
  m.tmpl = "verify_email";
  m.payload = {{"token", token}};
  if (user->name) m.payload["name"] = *user->name;
  issue.mail = std::move(m);
  co_return co_await repo_.issue_token(issue, true);
}

Task<Status> AuthService::forgot_password(const std::string& email, const SessionMeta& meta) {
  if (auto t = co_await throttle_mail("reset", email); !t) co_return t.error();
  auto found = co_await repo_.find_by_email(email);
  if (!found) co_return found.error();
  const auto& user = found.value();
  if (!user || user->status != "active") co_return ok_status();
  const std::string token = crypto::random_token();
  TokenIssue issue{user->id, "password_reset", sha256_hex(token), s_.reset_ttl_seconds};
  issue.ip = meta.ip;
  mail::OutgoingMail m;
  m.user_id = user->id;
  m.to = user->email;
  m.tmpl = "password_reset";
  m.payload = {{"token", token}};
  if (user->name) m.payload["name"] = *user->name;
  issue.mail = std::move(m);
  if (auto r = co_await repo_.issue_token(issue, true); !r) co_return r.error();
  const std::optional<std::string> uid = user->id;
  co_await repo_.audit(uid, "auth.password.reset_requested", "success", meta);
  co_return ok_status();
}

Task<Status> AuthService::reset_password(const std::string& token, const std::string& password,
                                         const SessionMeta& meta) {
  if (token.empty() || token.size() > 256) co_return invalid_token();
  const std::string hash = sha256_hex(token);
  auto used = co_await repo_.consume_token(hash, "password_reset");
  if (!used) co_return used.error();
  if (!used.value()) co_return invalid_token();
  const std::string user_id = used.value()->user_id;
  auto user = co_await repo_.find_by_id(user_id);
  if (!user) co_return user.error();
  if (!user.value() || user.value()->status != "active") co_return invalid_token();
  auto fresh = co_await hash_password(password);
  if (!fresh) co_return Error::of(ErrorCode::Internal, "password hashing failed");
  mail::OutgoingMail m;
  m.user_id = user_id;
  m.to = user.value()->email;
  m.tmpl = "password_changed";
  m.payload = {{"ip", meta.ip}, {"userAgent", meta.user_agent}};
  if (user.value()->name) m.payload["name"] = *user.value()->name;
  const std::optional<mail::OutgoingMail> notice = std::move(m);
  const std::string every_session;  // no family is spared after a reset
  co_return co_await repo_.set_password(user_id, *fresh, "password_reset", every_session, "auth.password.reset", meta,
                                        notice);
}

}  // namespace tg::auth
