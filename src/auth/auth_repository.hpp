#pragma once
#include <optional>
#include <string>

#include <nlohmann/json.hpp>
#include <vector>

#include "db/db.hpp"
#include "mail/outbox.hpp"

namespace tg::auth {

struct UserRow {
  std::string id, email, role, status, created_at;
  std::optional<std::string> name, company, avatar_url, password_hash;
  bool email_verified = false;
  bool two_factor = false;
  std::optional<std::string> personal_org;
  std::int64_t locked_for_seconds = 0;  // > 0 while locked
};

struct SessionMeta {
  std::string user_agent;
  std::string ip;
  std::string request_id;
};

enum class RefreshOutcome { rotated, invalid, reused };
struct RotatedSession {
  RefreshOutcome outcome = RefreshOutcome::invalid;
  std::string user_id;
  std::string family_id;
};

struct TokenUse {
  std::string user_id;
  std::string purpose;
  nlohmann::json payload;
};

struct SessionInfo {
  std::string id;  // the family id: stable across refreshes
  std::optional<std::string> user_agent, ip;
  std::string created_at, last_used_at, expires_at;
};

struct MfaState {
  std::optional<std::string> sealed_secret;  // raw bytes (nonce || ciphertext)
  bool enabled = false;
  std::optional<std::int64_t> last_step;
  std::int64_t recovery_remaining = 0;
};

// A one-time token to issue, and the mail that carries it (same transaction: no token without its mail).
struct TokenIssue {
  std::string user_id;
  const char* purpose;
  std::string token_hash_hex;
  int ttl_seconds;
  nlohmann::json payload = nlohmann::json::object();  // non-secret context
  std::string ip;
  std::optional<mail::OutgoingMail> mail;
};

struct ProfileChange {
  bool set_name = false, set_company = false, set_avatar = false;
  std::optional<std::string> name, company, avatar_url;
};

// Owns the SQL of the auth domain. Token values never reach this layer: only their SHA-256.
class AuthRepository {
 public:
  explicit AuthRepository(db::Database& db) : db_(db) {}
  // New user + personal organization + OWNER membership + audit row, in one transaction. Conflict on a taken email.
  Task<Result<UserRow>> create_user(const std::string& email, const std::string& password_hash,
                                    const std::optional<std::string>& name, const std::optional<std::string>& company,
                                    const SessionMeta& meta, std::optional<TokenIssue> verification = std::nullopt);
  Task<Result<std::optional<UserRow>>> find_by_email(const std::string& email);
  Task<Result<std::optional<UserRow>>> find_by_id(const std::string& id);
  // Counts a failure (window 15 min); returns true when this failure locked the account.
  Task<Result<bool>> record_failure(const std::string& user_id, int max_failures, int lock_seconds);
  Task<Status> record_success(const std::string& user_id, const std::string& ip);
  // Returns the new family id.
  // The session family proved a second factor (sign-in with a code, or turning two-factor on in it): what the admin
  // API asks of the session, not only of the account.
  Task<Status> mark_mfa_verified(const std::string& family_id, const std::string& user_id);
  Task<Result<bool>> mfa_verified(const std::string& family_id, const std::string& user_id);
  Task<Result<std::string>> create_session(const std::string& user_id, const std::string& token_hash_hex,
                                           int ttl_seconds, const SessionMeta& meta);
  Task<Result<RotatedSession>> rotate_session(const std::string& old_hash_hex, const std::string& new_hash_hex,
                                              int ttl_seconds, const SessionMeta& meta);
  Task<Status> revoke_family(const std::string& token_hash_hex, const char* reason);
  Task<Status> audit(const std::optional<std::string>& user_id, const char* action, const char* outcome,
                     const SessionMeta& meta, const char* detail_json = "{}");
  // Upgrades a legacy/weak hash after a successful login; a no-op if the hash changed meanwhile.
  Task<Status> rehash_password(const std::string& user_id, const std::string& old_hash, const std::string& new_hash);
  Task<Status> enqueue_mail(const mail::OutgoingMail& m);
  // In-app notification and, per the user's preferences, the email (tg_notify, migration 0012).
  Task<Status> notify(const std::string& user_id, const std::string& kind, const nlohmann::json& payload,
                      const std::string& dedupe_key, const std::string& mail_template,
                      const nlohmann::json& mail_payload);

  // One-time tokens (token_repository.cpp).
  Task<Status> issue_token(const TokenIssue& t, bool invalidate_previous);
  Task<Result<std::optional<TokenUse>>> consume_token(const std::string& hash_hex, const char* purpose);
  Task<Result<std::optional<TokenUse>>> peek_token(const std::string& hash_hex, const char* purpose);
  // Counts a wrong code against an mfa_pending token; true when the token is now burned.
  Task<Result<bool>> fail_mfa_token(const std::string& hash_hex, int max_attempts);
  // Marks the address verified if it is still the account's address; false otherwise.
  Task<Result<bool>> mark_email_verified(const std::string& user_id, const std::string& email, const SessionMeta& meta);
  // Conflict when the address was taken meanwhile.
  Task<Status> apply_email_change(const std::string& user_id, const std::string& new_email, const SessionMeta& meta);
  Task<Result<bool>> email_taken(const std::string& email);

  // Passwords and sessions.
  // New hash; revokes every session (except_family empty) or every other one; audit row and optional mail.
  Task<Status> set_password(const std::string& user_id, const std::string& hash, const char* revoke_reason,
                            const std::string& except_family, const char* audit_action, const SessionMeta& meta,
                            const std::optional<mail::OutgoingMail>& mail);
  Task<Result<std::vector<SessionInfo>>> list_sessions(const std::string& user_id);
  Task<Result<bool>> revoke_session(const std::string& user_id, const std::string& family_id, const char* reason);
  Task<Status> revoke_all_sessions(const std::string& user_id, const char* reason);
  Task<Result<bool>> known_device(const std::string& user_id, const std::string& user_agent);

  // Two-factor (mfa_repository.cpp).
  Task<Result<MfaState>> mfa_state(const std::string& user_id);
  Task<Status> store_pending_secret(const std::string& user_id, const std::string& sealed);
  // Turns 2FA on with the first accepted step and the recovery code hashes; false if not pending any more.
  Task<Result<bool>> enable_mfa(const std::string& user_id, std::int64_t step, const std::vector<std::string>& hashes,
                                const SessionMeta& meta);
  // Replay guard: records `step` as used; false when a step at or after it was already used.
  Task<Result<bool>> advance_totp_step(const std::string& user_id, std::int64_t step);
  Task<Result<bool>> use_recovery_code(const std::string& user_id, const std::string& code_hash);
  Task<Status> disable_mfa(const std::string& user_id, const SessionMeta& meta);
  Task<Status> replace_recovery_codes(const std::string& user_id, const std::vector<std::string>& hashes,
                                      const SessionMeta& meta);

  // Account (account_repository.cpp).
  Task<Result<UserRow>> update_profile(const std::string& user_id, const ProfileChange& c, const SessionMeta& meta);
  // Anonymizes the user, deletes sessions/tokens/codes, deletes the personal organization and revokes its keys,
  // queues the Stripe clean-up; Conflict when the user still owns a team organization.
  Task<Status> delete_account(const std::string& user_id, const SessionMeta& meta,
                              const std::optional<mail::OutgoingMail>& goodbye, const db::Query* also,
                              db::Params also_params);

 private:
  db::Database& db_;
};

}  // namespace tg::auth
