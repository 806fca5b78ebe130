#pragma once
#include <optional>
#include <string>

#include "db/db.hpp"

namespace tg::auth {

struct UserRow {
  std::string id, email, role, status, created_at;
  std::optional<std::string> name, company, password_hash;
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
};

// Owns the SQL of the auth domain. Token values never reach this layer: only their SHA-256.
class AuthRepository {
 public:
  explicit AuthRepository(db::Database& db) : db_(db) {}
  // New user + personal organization + OWNER membership + audit row, in one transaction. Conflict on a taken email.
  Task<Result<UserRow>> create_user(const std::string& email, const std::string& password_hash,
                                    const std::optional<std::string>& name, const std::optional<std::string>& company,
                                    const SessionMeta& meta);
  Task<Result<std::optional<UserRow>>> find_by_email(const std::string& email);
  Task<Result<std::optional<UserRow>>> find_by_id(const std::string& id);
  // Counts a failure (window 15 min); returns true when this failure locked the account.
  Task<Result<bool>> record_failure(const std::string& user_id, int max_failures, int lock_seconds);
  Task<Status> record_success(const std::string& user_id, const std::string& ip);
  Task<Status> create_session(const std::string& user_id, const std::string& token_hash_hex, int ttl_seconds,
                              const SessionMeta& meta);
  Task<Result<RotatedSession>> rotate_session(const std::string& old_hash_hex, const std::string& new_hash_hex,
                                              int ttl_seconds, const SessionMeta& meta);
  Task<Status> revoke_family(const std::string& token_hash_hex, const char* reason);
  Task<Status> audit(const std::optional<std::string>& user_id, const char* action, const char* outcome,
                     const SessionMeta& meta, const char* detail_json = "{}");

 private:
  db::Database& db_;
};

}  // namespace tg::auth
