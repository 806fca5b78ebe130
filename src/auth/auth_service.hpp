#pragma once
#include <boost/asio/thread_pool.hpp>
#include <vector>

#include "auth/auth_repository.hpp"
#include "auth/jwt.hpp"
#include "core/crypto.hpp"
#include "core/net.hpp"
#include "ratelimit/rate_limiter.hpp"

namespace tg::auth {

struct AuthSettings {
  int access_ttl_seconds = 900;
  int refresh_ttl_seconds = 7 * 24 * 3600;
  int max_failures = 5;  // failed logins within 15 minutes before the account locks
  int lock_seconds = 900;
  int mfa_token_ttl_seconds = 300;
  int mfa_max_attempts = 5;                              // wrong codes before an mfa token is burned
  LimitRule ip_failures{20, std::chrono::minutes(15)};   // failed logins per client IP
  LimitRule mail_requests{3, std::chrono::minutes(15)};  // resend / forgot per address
  int verify_ttl_seconds = 24 * 3600;
  int reset_ttl_seconds = 3600;
  std::string totp_issuer = "Tollgate";
  std::vector<net::Cidr> admin_ip_allowlist;  // empty: any address
};

struct AuthSuccess {
  UserRow user;
  std::string access_token;
  std::string refresh_token;  // raw; only its hash is stored
  int expires_in = 0;
  // Set instead of tokens when the password was right but a second factor is needed.
  std::string mfa_token;
  std::string session_family;  // sid of the new session
};

struct RegisterInput {
  std::string email, password;
  std::optional<std::string> name, company;
};

struct TwoFactorSetup {
  std::string secret_base32, otpauth_uri;
};

// The rules of signing up, in and out, of the account's secrets and of its sessions. Passwords are hashed on
// `cpu` (argon2id takes tens of milliseconds and 64 MiB; it must not run on an I/O thread).
class AuthService {
 public:
  AuthService(AuthRepository& repo, const Jwt& jwt, const Clock& clock, asio::thread_pool& cpu, AuthSettings s,
              ratelimit::RateLimiter* limiter = nullptr, std::string encryption_key = "x");

  // auth_service.cpp: sign-up, sign-in, sessions.
  Task<Result<AuthSuccess>> register_user(const RegisterInput& in, const SessionMeta& meta);
  Task<Result<AuthSuccess>> login(const std::string& email, const std::string& password, const SessionMeta& meta);
  Task<Result<AuthSuccess>> verify_mfa_login(const std::string& mfa_token, const std::string& code,
                                             const SessionMeta& meta);
  Task<Result<AuthSuccess>> refresh(const std::string& refresh_token, const SessionMeta& meta);
  Task<Status> logout(const std::string& refresh_token, const SessionMeta& meta);
  Task<Status> logout_all(const std::string& user_id, const SessionMeta& meta);
  Task<Result<UserRow>> profile(const std::string& user_id);
  Task<Result<std::vector<SessionInfo>>> sessions(const std::string& user_id);
  Task<Status> revoke_session(const std::string& user_id, const std::string& session_id, const SessionMeta& meta);
  // A fresh TOTP code (not a recovery code) of a user with two-factor on: the step-up before a sensitive action.
  Task<Status> step_up(const std::string& user_id, const std::string& code, const SessionMeta& meta);
  // A read-only access token for `user` carrying the impersonation and the administrator (and the administrator's
  // session family as sid), valid for `ttl_seconds`.
  std::string impersonation_token(const UserRow& user, const std::string& impersonation_id, const std::string& admin_id,
                                  const std::string& admin_session, int ttl_seconds) const;
  // From an address in ADMIN_IP_ALLOWLIST (when set), role ADMIN with two-factor enabled, re-read from the
  // database (a token's role may be stale).
  // The session (sid) must have proved the second factor: signed in with a code, or turned two-factor on in it.
  Task<Result<UserRow>> require_admin(const std::string& user_id, const std::string& client_ip,
                                      const std::string& session_id);
  Task<Status> mark_session_mfa_verified(const std::string& session_id, const std::string& user_id);

  // email_flows.cpp: verification, password reset.
  Task<Result<std::string>> verify_email(const std::string& token, const SessionMeta& meta);
  Task<Status> resend_verification(const std::string& email, const SessionMeta& meta);
  Task<Status> forgot_password(const std::string& email, const SessionMeta& meta);
  Task<Status> reset_password(const std::string& token, const std::string& password, const SessionMeta& meta);

  // two_factor.cpp
  Task<Result<MfaState>> two_factor_status(const std::string& user_id);
  Task<Result<TwoFactorSetup>> two_factor_setup(const std::string& user_id, const std::string& password,
                                                const SessionMeta& meta);
  Task<Result<std::vector<std::string>>> two_factor_enable(const std::string& user_id, const std::string& code,
                                                           const SessionMeta& meta);
  Task<Status> two_factor_disable(const std::string& user_id, const std::string& password, const std::string& code,
                                  const SessionMeta& meta);
  Task<Result<std::vector<std::string>>> regenerate_recovery_codes(const std::string& user_id, const std::string& code,
                                                                   const SessionMeta& meta);

  // account_service.cpp
  Task<Result<UserRow>> update_profile(const std::string& user_id, const ProfileChange& change,
                                       const SessionMeta& meta);
  Task<Status> change_password(const std::string& user_id, const std::string& current, const std::string& next,
                               const std::string& session_id, const SessionMeta& meta);
  Task<Status> change_email(const std::string& user_id, const std::string& password, const std::string& new_email,
                            const SessionMeta& meta);
  Task<Status> delete_account(const std::string& user_id, const std::string& password, const SessionMeta& meta);

  const AuthSettings& settings() const { return s_; }
  AuthRepository& repository() { return repo_; }

 private:
  enum class FactorResult { totp, recovery, invalid };
  Task<Result<AuthSuccess>> start_session(UserRow user, const SessionMeta& meta);
  Task<void> notify_new_device(const UserRow& user, const SessionMeta& meta);
  std::string access_token(const UserRow& user, const std::string& session) const;
  Task<bool> password_ok(const std::string& hash, const std::string& password);
  Task<std::optional<std::string>> hash_password(const std::string& password);
  // Active user or 401; then the password or 403 INVALID_PASSWORD.
  Task<Result<UserRow>> user_with_password(const std::string& user_id, const std::string& password);
  Task<Result<FactorResult>> check_second_factor(const std::string& user_id, const std::string& code,
                                                 bool allow_recovery);
  Task<Status> throttle_mail(const char* what, const std::string& email);
  std::int64_t now_seconds() const { return clock_.now_ms() / 1000; }

  AuthRepository& repo_;
  const Jwt& jwt_;
  const Clock& clock_;
  asio::thread_pool& cpu_;
  AuthSettings s_;
  ratelimit::RateLimiter* limiter_;
  crypto::SecretBox box_;
  std::string dummy_hash_;
};

std::string new_refresh_token();
using crypto::sha256_hex;
// Recovery codes: 10 characters from an unambiguous alphabet, shown as xxxxx-xxxxx.
std::string new_recovery_code();
// Lower-case, spaces and dashes removed.
std::string normalize_code(std::string_view code);

Error invalid_password();

}  // namespace tg::auth
