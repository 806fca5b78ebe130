#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/async.hpp"
#include "core/error.hpp"
#include "db/db.hpp"

namespace tg::admin {

// Who acts and why: every admin action writes one audit row with these, in the transaction of the change.
struct AdminActor {
  std::string admin_id, ip, user_agent, request_id, reason;
};

struct UserFilter {
  std::string q, status, role, plan, verified;  // empty: any
  int page = 1, page_size = 25;
};

struct OrgFilter {
  std::string q, status, plan;
  int page = 1, page_size = 25;
};

struct AuditFilter {
  std::string actor_id, organization_id, action, target_id, from, to;  // from/to: RFC 3339
  std::optional<std::int64_t> before;
  int limit = 50;
};

struct EndpointInput {
  std::string method, path_pattern, upstream_url, description;
  std::int64_t cost = 1;
  std::optional<std::int64_t> rate_limit_per_minute;
  std::int64_t timeout_ms = 30000;
  bool is_public = false, enabled = true;
};

// The admin domain's SQL. Answers are built as JSON in SQL (one shape per document); a missing row is an empty
// optional, never an error.
class AdminRepository {
 public:
  explicit AdminRepository(db::Database& db) : db_(db) {}

  // Users.
  Task<Result<nlohmann::json>> users(const UserFilter& f);
  Task<Result<std::optional<nlohmann::json>>> user(const std::string& id);
  // status / role / whether 2FA is on and the e-mail verified, for the rules; nothing when unknown or deleted.
  struct UserState {
    std::string status, role, email;
    bool two_factor = false, verified = false;
  };
  Task<Result<std::optional<UserState>>> user_state(const std::string& id);
  // Each returns false when the user was not in the state the change needs (the caller re-reads to say why).
  Task<Result<bool>> suspend_user(const AdminActor& a, const std::string& id);
  Task<Result<bool>> reactivate_user(const AdminActor& a, const std::string& id);
  Task<Result<bool>> set_user_role(const AdminActor& a, const std::string& id, const std::string& role);
  Task<Result<bool>> reset_two_factor(const AdminActor& a, const std::string& id);
  Task<Result<std::int64_t>> revoke_sessions(const AdminActor& a, const std::string& id);
  Task<Status> audit(const AdminActor& a, const char* action, const char* target_type, const std::string& target_id,
                     const std::optional<std::string>& organization_id, const nlohmann::json& metadata);

  // Organizations.
  Task<Result<nlohmann::json>> organizations(const OrgFilter& f);
  Task<Result<std::optional<nlohmann::json>>> organization(const std::string& id);
  Task<Result<bool>> set_organization_status(const AdminActor& a, const std::string& id, bool suspend);
  enum class CompOutcome { done, not_found, plan_not_found, stripe_managed };
  Task<Result<CompOutcome>> comp_plan(const AdminActor& a, const std::string& org_id, const std::string& plan_slug);

  // Audit log.
  Task<Result<nlohmann::json>> audit_page(const AuditFilter& f);
  // Up to `max_rows` rows, newest first, as CSV (header included).
  Task<Result<std::string>> audit_csv(const AuditFilter& f, int max_rows);

  // Service tokens (root keys for POST /v1/keys/verify).
  Task<Result<nlohmann::json>> service_tokens();
  Task<Result<nlohmann::json>> create_service_token(const AdminActor& a, const std::string& name,
                                                    const std::vector<std::string>& scopes,
                                                    const std::optional<std::string>& expires_at,
                                                    const std::string& prefix, const std::string& hash_hex);
  Task<Result<bool>> revoke_service_token(const AdminActor& a, const std::string& id);

  // "View as customer": the impersonation row and its audit row, in one transaction. Returns the id and expiry.
  struct Impersonation {
    std::string id, expires_at;
  };
  Task<Result<Impersonation>> start_impersonation(const AdminActor& a, const std::string& user_id, int ttl_seconds);
  // False when already ended (or unknown).
  Task<Result<bool>> end_impersonation(const AdminActor& a, const std::string& impersonation_id);
  Task<Result<std::optional<nlohmann::json>>> impersonation(const std::string& impersonation_id);

  // A key's per-window request limit (its override or its organization's plan's), for the limiter inspector.
  Task<Result<std::optional<std::int64_t>>> key_rate(const std::string& key_id);

  // API catalog.
  Task<Result<nlohmann::json>> endpoints();
  Task<Result<std::optional<nlohmann::json>>> endpoint(const std::string& id);
  // Nothing when (method, path) is taken.
  Task<Result<std::optional<nlohmann::json>>> create_endpoint(const AdminActor& a, const EndpointInput& in);
  enum class EndpointWrite { done, not_found, conflict };
  Task<Result<EndpointWrite>> update_endpoint(const AdminActor& a, const std::string& id, const EndpointInput& in);
  Task<Result<bool>> delete_endpoint(const AdminActor& a, const std::string& id);

 private:
  db::Database& db_;
};

// The admin audit row, for a change another domain's repository makes in its own transaction (account deletion).
const db::Query& audit_insert_query();
db::Params audit_insert_params(const AdminActor& a, const char* action, const char* target_type,
                               const std::string& target_id, const std::optional<std::string>& organization_id,
                               const nlohmann::json& metadata);

// '%', '_' and '\' taken literally in an ILIKE pattern.
std::string like_escape(std::string_view s);

}  // namespace tg::admin
