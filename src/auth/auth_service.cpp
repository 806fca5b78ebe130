#include "auth/auth_service.hpp"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include "accounts/password.hpp"
#include "auth/password_policy.hpp"
#include "core/hex.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"

namespace tg::auth {
namespace {
Error invalid_credentials() {
  return Error::coded(ErrorCode::Unauthorized, "INVALID_CREDENTIALS", "The email or password is incorrect.");
}
Error invalid_refresh() {
  return Error::coded(ErrorCode::Unauthorized, "INVALID_REFRESH_TOKEN", "Sign in again: the session has ended.");
}
metrics::Counter& logins(const char* outcome) {
  return metrics::registry().counter("tollgate_auth_logins_total", "Login attempts by outcome", {{"outcome", outcome}});
}
}  // namespace

std::string new_refresh_token() {
  std::string raw(32, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(raw.size()));
  return "rt_" + base64url_encode(raw);
}

std::string sha256_hex(std::string_view s) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), md);
  return to_hex(md, sizeof md);
}

AuthService::AuthService(AuthRepository& repo, const Jwt& jwt, const Clock& clock, asio::thread_pool& cpu,
                         AuthSettings s)
    : repo_(repo), jwt_(jwt), clock_(clock), cpu_(cpu), s_(s) {
  // Unknown emails are checked against this, so they cost the same time as a wrong password.
  dummy_hash_ = accounts::hash_password(accounts::random_password()).value_or("");
}

std::string AuthService::access_token(const UserRow& user) const {
  const std::int64_t now = clock_.now_ms() / 1000;
  Claims c;
  c.subject = user.id;
  c.organization = user.personal_org.value_or("");
  c.role = user.role;
  c.type = TokenType::access;
  c.issued_at = now;
  c.not_before = now;
  c.expires_at = now + s_.access_ttl_seconds;
  c.id = new_refresh_token().substr(3, 16);
  return jwt_.sign(c);
}

Task<Result<AuthSuccess>> AuthService::start_session(UserRow user, const SessionMeta& meta) {
  AuthSuccess out;
  out.refresh_token = new_refresh_token();
  // Arguments are named locals throughout: GCC 12 mishandles some temporaries inside co_await expressions.
  const std::string hash = sha256_hex(out.refresh_token);
  auto created = co_await repo_.create_session(user.id, hash, s_.refresh_ttl_seconds, meta);
  if (!created) co_return created.error();
  out.access_token = access_token(user);
  out.expires_in = s_.access_ttl_seconds;
  out.user = std::move(user);
  co_return out;
}

Task<Result<AuthSuccess>> AuthService::register_user(const RegisterInput& in, const SessionMeta& meta) {
  std::string password = in.password;
  auto hasher = [password] { return accounts::hash_password(password); };
  auto hash = co_await run_blocking<std::optional<std::string>>(cpu_, hasher);
  if (!hash) co_return Error::of(ErrorCode::Internal, "password hashing failed");
  auto user = co_await repo_.create_user(in.email, *hash, in.name, in.company, meta);
  if (!user) {
    if (user.error().code == ErrorCode::Conflict) {
      co_return Error::coded(ErrorCode::Conflict, "EMAIL_TAKEN", "An account with this email already exists.");
    }
    co_return user.error();
  }
  static auto& signups = metrics::registry().counter("tollgate_auth_signups_total", "Accounts created");
  signups.inc();
  co_return co_await start_session(std::move(user.value()), meta);
}

Task<Result<AuthSuccess>> AuthService::login(const std::string& email, const std::string& password,
                                             const SessionMeta& meta) {
  auto found = co_await repo_.find_by_email(email);
  if (!found) co_return found.error();
  auto& user = found.value();
  if (user && user->locked_for_seconds > 0) {
    logins("locked").inc();
    co_return Error::coded(ErrorCode::RateLimited, "ACCOUNT_LOCKED",
                           "Too many failed sign-ins. Try again later or reset your password.")
        .with_header("Retry-After", std::to_string(user->locked_for_seconds));
  }
  // No conditional operator yielding a std::string inside a coroutine: GCC 12 can destroy its result twice.
  std::string hash = dummy_hash_;
  if (user && user->password_hash) hash = *user->password_hash;
  auto verifier = [hash, password] { return accounts::verify_password(hash, password); };
  const bool ok = co_await run_blocking<bool>(cpu_, verifier);
  if (!user || !ok || user->status == "deleted") {
    logins("failed").inc();
    if (user && user->status != "deleted") {
      auto locked = co_await repo_.record_failure(user->id, s_.max_failures, s_.lock_seconds);
      const char* action = locked && locked.value() ? "auth.login.locked" : "auth.login.failed";
      const std::optional<std::string> uid = user->id;
      co_await repo_.audit(uid, action, "failure", meta);
    }
    co_return invalid_credentials();
  }
  if (user->status == "suspended") {
    logins("suspended").inc();
    const std::optional<std::string> uid = user->id;
    co_await repo_.audit(uid, "auth.login.denied", "denied", meta, R"({"reason":"suspended"})");
    co_return Error::coded(ErrorCode::Forbidden, "ACCOUNT_SUSPENDED", "This account is suspended.");
  }
  if (auto r = co_await repo_.record_success(user->id, meta.ip); !r) co_return r.error();
  const std::optional<std::string> uid = user->id;
  co_await repo_.audit(uid, "auth.login.succeeded", "success", meta);
  logins("succeeded").inc();
  co_return co_await start_session(std::move(*user), meta);
}

Task<Result<AuthSuccess>> AuthService::refresh(const std::string& token, const SessionMeta& meta) {
  if (token.empty() || token.size() > 256) co_return invalid_refresh();
  AuthSuccess out;
  out.refresh_token = new_refresh_token();
  const std::string old_hash = sha256_hex(token);
  const std::string new_hash = sha256_hex(out.refresh_token);
  auto rotated = co_await repo_.rotate_session(old_hash, new_hash, s_.refresh_ttl_seconds, meta);
  if (!rotated) co_return rotated.error();
  if (rotated->outcome == RefreshOutcome::reused) {
    log::warn("refresh token reuse: session family revoked",
              {{"userId", rotated->user_id}, {"requestId", meta.request_id}});
    const std::optional<std::string> uid = rotated->user_id;
    co_await repo_.audit(uid, "auth.refresh.reuse_detected", "denied", meta);
    co_return invalid_refresh();
  }
  if (rotated->outcome != RefreshOutcome::rotated) co_return invalid_refresh();
  auto user = co_await repo_.find_by_id(rotated->user_id);
  if (!user) co_return user.error();
  if (!user.value()) co_return invalid_refresh();
  out.access_token = access_token(**user);
  out.expires_in = s_.access_ttl_seconds;
  out.user = std::move(**user);
  co_return out;
}

Task<Status> AuthService::logout(const std::string& token, const SessionMeta& meta) {
  if (token.empty() || token.size() > 256) co_return ok_status();
  (void)meta;
  const std::string hash = sha256_hex(token);
  co_return co_await repo_.revoke_family(hash, "logout");
}

Task<Result<UserRow>> AuthService::profile(const std::string& user_id) {
  auto user = co_await repo_.find_by_id(user_id);
  if (!user) co_return user.error();
  if (!user.value() || user.value()->status == "deleted") {
    co_return Error::of(ErrorCode::Unauthorized, "The access token is missing, invalid or expired.");
  }
  co_return std::move(*user.value());
}

}  // namespace tg::auth
