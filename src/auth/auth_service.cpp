#include "auth/auth_service.hpp"

#include <algorithm>

#include <openssl/rand.h>
#include <sodium.h>

#include "accounts/password.hpp"
#include "auth/password_policy.hpp"
#include "auth/totp.hpp"
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
Error invalid_mfa_token() {
  return Error::coded(ErrorCode::Unauthorized, "INVALID_MFA_TOKEN",
                      "The sign-in attempt expired or was used up. Sign in again with your password.");
}
Error invalid_mfa_code() {
  return Error::coded(ErrorCode::Unauthorized, "INVALID_MFA_CODE", "The code is not valid.");
}
metrics::Counter& logins(const char* outcome) {
  return metrics::registry().counter("tollgate_auth_logins_total", "Login attempts by outcome", {{"outcome", outcome}});
}
metrics::Counter& mfa_failures() {
  static auto& c = metrics::registry().counter("tollgate_auth_2fa_failures_total", "Wrong two-factor codes");
  return c;
}
metrics::Counter& lockouts() {
  static auto& c = metrics::registry().counter("tollgate_auth_lockouts_total", "Accounts locked after failed logins");
  return c;
}
std::string ip_key(const std::string& ip) {
  return "login-fail:" + ip;
}
}  // namespace

Error invalid_password() {
  return Error::coded(ErrorCode::Forbidden, "INVALID_PASSWORD", "The current password is incorrect.");
}

std::string new_refresh_token() {
  std::string raw(32, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(raw.size()));
  return "rt_" + base64url_encode(raw);
}

std::string new_recovery_code() {
  static constexpr char kAlphabet[] = "abcdefghjkmnpqrstuvwxyz23456789";
  std::string out;
  for (int i = 0; i < 10; ++i) {
    if (i == 5) out += '-';
    out += kAlphabet[randombytes_uniform(sizeof kAlphabet - 1)];
  }
  return out;
}

std::string normalize_code(std::string_view code) {
  std::string out;
  for (char c : code) {
    if (c == ' ' || c == '-' || c == '\t') continue;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

AuthService::AuthService(AuthRepository& repo, const Jwt& jwt, const Clock& clock, asio::thread_pool& cpu,
                         AuthSettings s, ratelimit::RateLimiter* limiter, std::string encryption_key)
    : repo_(repo),
      jwt_(jwt),
      clock_(clock),
      cpu_(cpu),
      s_(std::move(s)),
      limiter_(limiter),
      box_(encryption_key, "tollgate.totp.v1") {
  // Unknown emails are checked against this, so they cost the same time as a wrong password.
  dummy_hash_ = accounts::hash_password(accounts::random_password()).value_or("");
}

std::string AuthService::impersonation_token(const UserRow& user, const std::string& impersonation_id,
                                             const std::string& admin_id, const std::string& admin_session,
                                             int ttl_seconds) const {
  const std::int64_t now = now_seconds();
  Claims c;
  c.subject = user.id;
  c.organization = user.personal_org.value_or("");
  c.role = user.role;
  c.type = TokenType::access;
  c.issued_at = now;
  c.not_before = now;
  c.expires_at = now + ttl_seconds;
  c.id = new_refresh_token().substr(3, 16);
  c.session = admin_session;
  c.impersonation = impersonation_id;
  c.actor = admin_id;
  return jwt_.sign(c);
}

std::string AuthService::access_token(const UserRow& user, const std::string& session) const {
  const std::int64_t now = now_seconds();
  Claims c;
  c.subject = user.id;
  c.organization = user.personal_org.value_or("");
  c.role = user.role;
  c.type = TokenType::access;
  c.issued_at = now;
  c.not_before = now;
  c.expires_at = now + s_.access_ttl_seconds;
  c.id = new_refresh_token().substr(3, 16);
  c.session = session;
  return jwt_.sign(c);
}

Task<bool> AuthService::password_ok(const std::string& hash, const std::string& password) {
  auto verifier = [hash, password] { return accounts::verify_password(hash, password); };
  co_return co_await run_blocking<bool>(cpu_, verifier);
}

Task<std::optional<std::string>> AuthService::hash_password(const std::string& password) {
  auto hasher = [password] { return accounts::hash_password(password); };
  co_return co_await run_blocking<std::optional<std::string>>(cpu_, hasher);
}

Task<Result<UserRow>> AuthService::user_with_password(const std::string& user_id, const std::string& password) {
  auto user = co_await repo_.find_by_id(user_id);
  if (!user) co_return user.error();
  if (!user.value() || user.value()->status != "active") {
    co_return Error::of(ErrorCode::Unauthorized, "The access token is missing, invalid or expired.");
  }
  std::string hash = dummy_hash_;
  if (user.value()->password_hash) hash = *user.value()->password_hash;
  const bool ok = co_await password_ok(hash, password);
  if (!ok) co_return invalid_password();
  co_return std::move(*user.value());
}

Task<Result<AuthSuccess>> AuthService::start_session(UserRow user, const SessionMeta& meta) {
  AuthSuccess out;
  out.refresh_token = new_refresh_token();
  // Arguments are named locals throughout: GCC 12 mishandles some temporaries inside co_await expressions.
  const std::string hash = sha256_hex(out.refresh_token);
  auto family = co_await repo_.create_session(user.id, hash, s_.refresh_ttl_seconds, meta);
  if (!family) co_return family.error();
  out.access_token = access_token(user, family.value());
  out.session_family = family.value();
  out.expires_in = s_.access_ttl_seconds;
  out.user = std::move(user);
  co_return out;
}

Task<Result<AuthSuccess>> AuthService::register_user(const RegisterInput& in, const SessionMeta& meta) {
  auto hash = co_await hash_password(in.password);
  if (!hash) co_return Error::of(ErrorCode::Internal, "password hashing failed");
  const std::string token = crypto::random_token();
  TokenIssue verification{"", "email_verify", sha256_hex(token), s_.verify_ttl_seconds};
  verification.payload = {{"email", in.email}};
  verification.ip = meta.ip;
  mail::OutgoingMail m;
  m.to = in.email;
  m.tmpl = "verify_email";
  m.payload = {{"token", token}};
  if (in.name) m.payload["name"] = *in.name;
  verification.mail = std::move(m);
  auto user = co_await repo_.create_user(in.email, *hash, in.name, in.company, meta, std::move(verification));
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
  // Per client IP: many accounts tried from one address. Checked before any password work.
  const std::string throttle_key = ip_key(meta.ip);
  if (limiter_ && !meta.ip.empty()) {
    auto peek = co_await limiter_->hit(throttle_key, s_.ip_failures, 0);
    if (peek.remaining <= 0) {
      logins("throttled").inc();
      const std::int64_t retry = std::max<std::int64_t>(1, (peek.reset_ms + 999) / 1000);
      co_return Error::coded(ErrorCode::RateLimited, "TOO_MANY_ATTEMPTS",
                             "Too many failed sign-ins from this network. Try again later.")
          .with_header("Retry-After", std::to_string(retry));
    }
  }
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
  const bool ok = co_await password_ok(hash, password);
  if (!user || !ok || user->status == "deleted") {
    logins("failed").inc();
    if (limiter_ && !meta.ip.empty()) co_await limiter_->hit(throttle_key, s_.ip_failures, 1);
    if (user && user->status != "deleted") {
      auto locked = co_await repo_.record_failure(user->id, s_.max_failures, s_.lock_seconds);
      const bool now_locked = locked && locked.value();
      if (now_locked) lockouts().inc();
      const char* action = now_locked ? "auth.login.locked" : "auth.login.failed";
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
  if (accounts::needs_rehash(hash)) {
    // Legacy bcrypt (or weaker argon2 parameters): upgrade now that the plain password is at hand.
    auto fresh = co_await hash_password(password);
    if (fresh) {
      const std::string uid = user->id;
      co_await repo_.rehash_password(uid, hash, *fresh);
    }
  }
  const std::optional<std::string> uid = user->id;
  if (user->two_factor) {
    AuthSuccess challenge;
    challenge.mfa_token = "mfa_" + crypto::random_token();
    TokenIssue pending{user->id, "mfa_pending", sha256_hex(challenge.mfa_token), s_.mfa_token_ttl_seconds};
    pending.payload = {{"attempts", 0}};
    pending.ip = meta.ip;
    if (auto r = co_await repo_.issue_token(pending, false); !r) co_return r.error();
    co_await repo_.audit(uid, "auth.login.mfa_required", "success", meta);
    logins("mfa_required").inc();
    challenge.user = std::move(*user);
    challenge.expires_in = s_.mfa_token_ttl_seconds;
    co_return challenge;
  }
  if (auto r = co_await repo_.record_success(user->id, meta.ip); !r) co_return r.error();
  co_await repo_.audit(uid, "auth.login.succeeded", "success", meta);
  logins("succeeded").inc();
  co_await notify_new_device(*user, meta);
  co_return co_await start_session(std::move(*user), meta);
}

Task<Result<AuthService::FactorResult>> AuthService::check_second_factor(const std::string& user_id,
                                                                         const std::string& code, bool allow_recovery) {
  const std::string normalized = normalize_code(code);
  auto state = co_await repo_.mfa_state(user_id);
  if (!state) co_return state.error();
  if (normalized.size() == 6 && normalized.find_first_not_of("0123456789") == std::string::npos) {
    if (!state->sealed_secret) co_return FactorResult::invalid;
    auto secret = box_.open(*state->sealed_secret);
    if (!secret) {
      log::error("TOTP secret cannot be decrypted (was ENCRYPTION_KEY or JWT_SECRET changed?)", {{"userId", user_id}});
      co_return FactorResult::invalid;
    }
    auto match = verify_totp(*secret, normalized, now_seconds(), state->last_step);
    if (!match) co_return FactorResult::invalid;
    // Atomic replay guard: two requests racing with the same code cannot both pass.
    auto advanced = co_await repo_.advance_totp_step(user_id, match->step);
    if (!advanced) co_return advanced.error();
    co_return advanced.value() ? FactorResult::totp : FactorResult::invalid;
  }
  if (allow_recovery && normalized.size() == 10) {
    const std::string h = sha256_hex(normalized);
    auto used = co_await repo_.use_recovery_code(user_id, h);
    if (!used) co_return used.error();
    co_return used.value() ? FactorResult::recovery : FactorResult::invalid;
  }
  co_return FactorResult::invalid;
}

Task<Result<AuthSuccess>> AuthService::verify_mfa_login(const std::string& mfa_token, const std::string& code,
                                                        const SessionMeta& meta) {
  if (mfa_token.empty() || mfa_token.size() > 256) co_return invalid_mfa_token();
  const std::string hash = sha256_hex(mfa_token);
  auto pending = co_await repo_.peek_token(hash, "mfa_pending");
  if (!pending) co_return pending.error();
  if (!pending.value()) co_return invalid_mfa_token();
  const std::string user_id = pending.value()->user_id;
  const std::optional<std::string> uid = user_id;
  auto factor = co_await check_second_factor(user_id, code, true);
  if (!factor) co_return factor.error();
  if (factor.value() == FactorResult::invalid) {
    mfa_failures().inc();
    auto burned = co_await repo_.fail_mfa_token(hash, s_.mfa_max_attempts);
    co_await repo_.audit(uid, "auth.2fa.failed", "failure", meta);
    // Wrong codes also count towards the account lockout, like wrong passwords.
    co_await repo_.record_failure(user_id, s_.max_failures, s_.lock_seconds);
    if (burned && burned.value()) co_return invalid_mfa_token();
    co_return invalid_mfa_code();
  }
  auto consumed = co_await repo_.consume_token(hash, "mfa_pending");
  if (!consumed) co_return consumed.error();
  if (!consumed.value()) co_return invalid_mfa_token();
  auto user = co_await repo_.find_by_id(user_id);
  if (!user) co_return user.error();
  if (!user.value() || user.value()->status == "deleted") co_return invalid_mfa_token();
  if (user.value()->status == "suspended") {
    co_return Error::coded(ErrorCode::Forbidden, "ACCOUNT_SUSPENDED", "This account is suspended.");
  }
  if (factor.value() == FactorResult::recovery) {
    co_await repo_.audit(uid, "auth.2fa.recovery_code_used", "success", meta);
  }
  co_await repo_.audit(uid, "auth.2fa.verified", "success", meta);
  if (auto r = co_await repo_.record_success(user_id, meta.ip); !r) co_return r.error();
  co_await notify_new_device(*user.value(), meta);
  logins("succeeded").inc();
  auto started = co_await start_session(std::move(*user.value()), meta);
  if (!started) co_return started.error();
  const std::string family = started->session_family;
  if (auto m = co_await repo_.mark_mfa_verified(family, user_id); !m) co_return m.error();
  co_return started;
}

// A sign-in from a browser (user agent) none of the user's sessions used: in the bell, and by email unless the user
// turned new_sign_in mail off. Checked before the new session exists. Best effort: never blocks the sign-in.
Task<void> AuthService::notify_new_device(const UserRow& user, const SessionMeta& meta) {
  const std::string user_id = user.id;
  const std::string agent = meta.user_agent;
  auto known = co_await repo_.known_device(user_id, agent);
  if (!known || known.value()) co_return;
  const nlohmann::json payload = {{"ip", meta.ip}, {"userAgent", meta.user_agent}};
  nlohmann::json mail_payload = payload;
  if (user.name) mail_payload["name"] = *user.name;
  const std::string dedupe = "new_sign_in:" + crypto::random_token();
  const std::string kind = "new_sign_in";
  auto notified = co_await repo_.notify(user_id, kind, payload, dedupe, kind, mail_payload);
  if (!notified) log::warn("new sign-in notification failed", {{"cause", notified.error().cause}});
}

Task<Status> AuthService::mark_session_mfa_verified(const std::string& session_id, const std::string& user_id) {
  if (session_id.empty()) co_return ok_status();
  co_return co_await repo_.mark_mfa_verified(session_id, user_id);
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
  out.access_token = access_token(**user, rotated->family_id);
  out.expires_in = s_.access_ttl_seconds;
  out.user = std::move(**user);
  co_return out;
}

Task<Status> AuthService::logout(const std::string& token, const SessionMeta& meta) {
  if (token.empty() || token.size() > 256) co_return ok_status();
  const std::string hash = sha256_hex(token);
  if (auto r = co_await repo_.revoke_family(hash, "logout"); !r) co_return r.error();
  const std::optional<std::string> nobody;  // the refresh token names no user here
  co_await repo_.audit(nobody, "auth.logout", "success", meta);
  co_return ok_status();
}

Task<Status> AuthService::logout_all(const std::string& user_id, const SessionMeta& meta) {
  if (auto r = co_await repo_.revoke_all_sessions(user_id, "logout_all"); !r) co_return r.error();
  const std::optional<std::string> uid = user_id;
  co_await repo_.audit(uid, "auth.logout_all", "success", meta);
  co_return ok_status();
}

Task<Result<UserRow>> AuthService::profile(const std::string& user_id) {
  auto user = co_await repo_.find_by_id(user_id);
  if (!user) co_return user.error();
  if (!user.value() || user.value()->status == "deleted") {
    co_return Error::of(ErrorCode::Unauthorized, "The access token is missing, invalid or expired.");
  }
  co_return std::move(*user.value());
}

Task<Result<std::vector<SessionInfo>>> AuthService::sessions(const std::string& user_id) {
  co_return co_await repo_.list_sessions(user_id);
}

Task<Status> AuthService::revoke_session(const std::string& user_id, const std::string& session_id,
                                         const SessionMeta& meta) {
  auto r = co_await repo_.revoke_session(user_id, session_id, "user_revoked");
  if (!r) co_return r.error();
  if (!r.value()) co_return Error::of(ErrorCode::NotFound, "No such session.");
  const std::optional<std::string> uid = user_id;
  const nlohmann::json detail_obj = {{"sessionId", session_id}};
  const std::string detail_text = detail_obj.dump();
  co_await repo_.audit(uid, "auth.session.revoked", "success", meta, detail_text.c_str());
  co_return ok_status();
}

Task<Result<UserRow>> AuthService::require_admin(const std::string& user_id, const std::string& client_ip,
                                                 const std::string& session_id) {
  if (!s_.admin_ip_allowlist.empty()) {
    auto ip = net::parse_ip(client_ip);
    const bool allowed = ip && std::any_of(s_.admin_ip_allowlist.begin(), s_.admin_ip_allowlist.end(),
                                           [&](const net::Cidr& c) { return net::contains(c, *ip); });
    if (!allowed) {
      co_return Error::coded(ErrorCode::Forbidden, "ADMIN_IP_FORBIDDEN",
                             "The admin API is not available from this address (ADMIN_IP_ALLOWLIST).");
    }
  }
  if (user_id.empty())
    co_return Error::of(ErrorCode::Unauthorized, "Sign in and send the access token as a Bearer token.");
  auto user = co_await repo_.find_by_id(user_id);
  if (!user) co_return user.error();
  if (!user.value() || user.value()->status != "active") {
    co_return Error::of(ErrorCode::Unauthorized, "The access token is missing, invalid or expired.");
  }
  if (user.value()->role != "ADMIN") co_return Error::of(ErrorCode::Forbidden, "This needs an administrator.");
  if (!user.value()->two_factor) {
    co_return Error::coded(ErrorCode::Forbidden, "ADMIN_2FA_REQUIRED",
                           "Administrators must enable two-factor authentication (Account settings → Two-factor) "
                           "before using the admin API.");
  }
  bool verified = false;
  if (!session_id.empty()) {
    auto v = co_await repo_.mfa_verified(session_id, user_id);
    if (!v) co_return v.error();
    verified = v.value();
  }
  if (!verified) {
    co_return Error::coded(ErrorCode::Forbidden, "ADMIN_2FA_REQUIRED",
                           "This session did not prove two-factor authentication: sign in again with your "
                           "authenticator code to use the admin API.");
  }
  co_return std::move(*user.value());
}

}  // namespace tg::auth
