// TOTP enrolment and recovery codes. The seed is sealed before it reaches the database; recovery codes are shown
// once and stored as SHA-256.
#include "auth/auth_service.hpp"
#include "auth/totp.hpp"
#include "core/metrics.hpp"

namespace tg::auth {
namespace {
Error invalid_code() {
  return Error::coded(ErrorCode::BadRequest, "INVALID_MFA_CODE",
                      "The code is not valid. Check the time on your device.");
}
std::vector<std::string> make_codes(std::vector<std::string>& hashes) {
  std::vector<std::string> codes;
  for (int i = 0; i < 10; ++i) {
    codes.push_back(new_recovery_code());
    hashes.push_back(sha256_hex(normalize_code(codes.back())));
  }
  return codes;
}
metrics::Counter& failures() {
  static auto& c = metrics::registry().counter("tollgate_auth_2fa_failures_total", "Wrong two-factor codes");
  return c;
}
}  // namespace

Task<Result<MfaState>> AuthService::two_factor_status(const std::string& user_id) {
  co_return co_await repo_.mfa_state(user_id);
}

Task<Result<TwoFactorSetup>> AuthService::two_factor_setup(const std::string& user_id, const std::string& password,
                                                           const SessionMeta& meta) {
  auto user = co_await user_with_password(user_id, password);
  if (!user) co_return user.error();
  if (user->two_factor) {
    co_return Error::coded(ErrorCode::Conflict, "TWO_FACTOR_ALREADY_ENABLED",
                           "Two-factor authentication is already on. Turn it off first to enrol a new device.");
  }
  const std::string secret = random_totp_secret();
  const std::string sealed = box_.seal(secret);
  if (auto r = co_await repo_.store_pending_secret(user_id, sealed); !r) co_return r.error();
  const std::optional<std::string> uid = user_id;
  co_await repo_.audit(uid, "auth.2fa.enrol_started", "success", meta);
  TwoFactorSetup out;
  out.secret_base32 = base32_encode(secret);
  out.otpauth_uri = otpauth_uri(s_.totp_issuer, user->email, secret);
  co_return out;
}

Task<Result<std::vector<std::string>>> AuthService::two_factor_enable(const std::string& user_id,
                                                                      const std::string& code,
                                                                      const SessionMeta& meta) {
  auto state = co_await repo_.mfa_state(user_id);
  if (!state) co_return state.error();
  if (state->enabled || !state->sealed_secret) {
    co_return Error::coded(ErrorCode::Conflict, "TWO_FACTOR_NOT_PENDING",
                           state->enabled ? "Two-factor authentication is already on."
                                          : "Start the setup first: no enrolment is pending.");
  }
  auto secret = box_.open(*state->sealed_secret);
  if (!secret) co_return Error::of(ErrorCode::Internal, "TOTP secret cannot be decrypted");
  const std::string normalized = normalize_code(code);
  auto match = verify_totp(*secret, normalized, now_seconds(), state->last_step);
  const std::optional<std::string> uid = user_id;
  if (!match) {
    failures().inc();
    co_await repo_.audit(uid, "auth.2fa.failed", "failure", meta, R"({"stage":"enable"})");
    co_return invalid_code();
  }
  std::vector<std::string> hashes;
  std::vector<std::string> codes = make_codes(hashes);
  auto enabled = co_await repo_.enable_mfa(user_id, match->step, hashes, meta);
  if (!enabled) co_return enabled.error();
  if (!enabled.value()) {
    co_return Error::coded(ErrorCode::Conflict, "TWO_FACTOR_NOT_PENDING", "No enrolment is pending any more.");
  }
  auto user = co_await repo_.find_by_id(user_id);
  if (user && user.value()) {
    mail::OutgoingMail m;
    m.user_id = user_id;
    m.to = user.value()->email;
    m.tmpl = "two_factor_changed";
    m.payload = {{"enabled", true}};
    co_await repo_.enqueue_mail(m);
  }
  co_return codes;
}

Task<Status> AuthService::two_factor_disable(const std::string& user_id, const std::string& password,
                                             const std::string& code, const SessionMeta& meta) {
  auto user = co_await user_with_password(user_id, password);
  if (!user) co_return user.error();
  if (!user->two_factor) {
    co_return Error::coded(ErrorCode::Conflict, "TWO_FACTOR_NOT_ENABLED", "Two-factor authentication is not on.");
  }
  auto factor = co_await check_second_factor(user_id, code, true);
  if (!factor) co_return factor.error();
  const std::optional<std::string> uid = user_id;
  if (factor.value() == FactorResult::invalid) {
    failures().inc();
    co_await repo_.audit(uid, "auth.2fa.failed", "failure", meta, R"({"stage":"disable"})");
    co_return invalid_code();
  }
  if (auto r = co_await repo_.disable_mfa(user_id, meta); !r) co_return r.error();
  mail::OutgoingMail m;
  m.user_id = user_id;
  m.to = user->email;
  m.tmpl = "two_factor_changed";
  m.payload = {{"enabled", false}};
  co_await repo_.enqueue_mail(m);
  co_return ok_status();
}

Task<Status> AuthService::step_up(const std::string& user_id, const std::string& code, const SessionMeta& meta) {
  auto state = co_await repo_.mfa_state(user_id);
  if (!state) co_return state.error();
  if (!state->enabled) {
    co_return Error::coded(ErrorCode::Conflict, "TWO_FACTOR_NOT_ENABLED", "Two-factor authentication is not on.");
  }
  auto factor = co_await check_second_factor(user_id, code, false);
  if (!factor) co_return factor.error();
  if (factor.value() != FactorResult::totp) {
    failures().inc();
    const std::optional<std::string> uid = user_id;
    co_await repo_.audit(uid, "auth.2fa.failed", "failure", meta, R"({"stage":"step_up"})");
    co_return invalid_code();
  }
  co_return ok_status();
}

Task<Result<std::vector<std::string>>> AuthService::regenerate_recovery_codes(const std::string& user_id,
                                                                              const std::string& code,
                                                                              const SessionMeta& meta) {
  auto state = co_await repo_.mfa_state(user_id);
  if (!state) co_return state.error();
  if (!state->enabled) {
    co_return Error::coded(ErrorCode::Conflict, "TWO_FACTOR_NOT_ENABLED", "Two-factor authentication is not on.");
  }
  // Only a TOTP code: a leaked recovery code must not be able to mint ten new ones.
  auto factor = co_await check_second_factor(user_id, code, false);
  if (!factor) co_return factor.error();
  if (factor.value() != FactorResult::totp) {
    failures().inc();
    const std::optional<std::string> uid = user_id;
    co_await repo_.audit(uid, "auth.2fa.failed", "failure", meta, R"({"stage":"recovery_codes"})");
    co_return invalid_code();
  }
  std::vector<std::string> hashes;
  std::vector<std::string> codes = make_codes(hashes);
  if (auto r = co_await repo_.replace_recovery_codes(user_id, hashes, meta); !r) co_return r.error();
  co_return codes;
}

}  // namespace tg::auth
