#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "auth/auth_repository.hpp"
#include "db/db.hpp"

namespace tg::keys {

struct KeyActor {
  std::string user_id, organization_id;
  auth::SessionMeta meta;
};

struct CreateKey {
  std::string name, environment = "live";
  std::optional<std::string> expires_at;  // ISO 8601, validated by the handler
  std::optional<std::int64_t> rate_limit;
  std::string metadata_json = "{}";
};

struct UpdateKey {
  std::optional<std::string> name, status;
  bool set_rate_limit = false;
  std::optional<std::int64_t> rate_limit;
  std::optional<std::string> metadata_json;
};

// The SQL of the keys domain. Keys are returned as the API's JSON shape; secrets never come back (only hashes
// are stored). Every change also NOTIFYs `tollgate_keys`, inside its transaction, so caches drop the key when the
// change commits.
class KeyRepository {
 public:
  explicit KeyRepository(db::Database& db) : db_(db) {}
  Task<Result<nlohmann::json>> list(const std::string& org_id, const std::string& status_filter);
  Task<Result<std::optional<nlohmann::json>>> get(const std::string& org_id, const std::string& key_id);
  // Conflict "KEY_LIMIT_REACHED" when the plan allows no more active keys.
  Task<Result<nlohmann::json>> create(const KeyActor& actor, const CreateKey& in, const std::string& prefix,
                                      const std::string& hash_hex);
  Task<Result<std::optional<nlohmann::json>>> update(const KeyActor& actor, const std::string& key_id, const UpdateKey& in);
  // false when no such key in the organization.
  Task<Result<bool>> revoke(const KeyActor& actor, const std::string& key_id);
  // {key, previous}; nullopt when not found.
  Task<Result<std::optional<nlohmann::json>>> rotate(const KeyActor& actor, const std::string& key_id, int grace_hours,
                                                     const std::string& prefix, const std::string& hash_hex);

 private:
  db::Database& db_;
};

}  // namespace tg::keys
