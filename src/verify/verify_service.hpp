#pragma once
#include <nlohmann/json.hpp>

#include "core/clock.hpp"
#include "db/db.hpp"
#include "http/message.hpp"
#include "http/router.hpp"
#include "ratelimit/rate_limiter.hpp"
#include "redis/client.hpp"
#include "usage/spool.hpp"
#include "verify/key_cache.hpp"
#include "verify/verify_body.hpp"

namespace tg::verify {

struct VerifySettings {
  std::chrono::milliseconds key_window{std::chrono::minutes(1)};  // KEY_RATE_WINDOW
  std::int64_t record_ttl_ms = 5000;     // refresh a cached key (and its quota) after this long
  std::int64_t negative_ttl_ms = 30000;  // how long "no such key" is believed
};

struct Decision {
  // The verify API's answer, built by hand (the hot path allocates little): see body_text().
  bool has_quota = false;
  std::int64_t quota_limit = -1, quota_used = 0, quota_remaining = -1, quota_reset_ms = 0;
  std::int64_t sunset_s = 0;  // > 0: the key is in its rotation grace period
  const char* code = "NOT_FOUND";
  std::shared_ptr<const KeyRecord> record;  // null for NOT_FOUND
  std::int64_t cost = 0;                    // units counted (0 unless VALID)
  std::int64_t rl_limit = -1, rl_remaining = 0, rl_reset_ms = 0, retry_after_ms = 0;
  std::int64_t started_ns = 0;  // steady clock, for the latency of the whole call
  std::string body_text() const;
};

// What only the caller knows about a metered call once it is answered (the gateway's upstream outcome).
struct CallOutcome {
  const char* source = "verify";
  std::string api_endpoint_id;
  int status_code = 0;  // 0: derived from the decision code
  std::int64_t request_bytes = 0, response_bytes = 0;
};

// The decision engine shared by /v1/keys/verify and (next) the gateway: key lookup → status checks → rate limit →
// quota → usage spool. No database round trip in steady state: keys come from the cache.
class VerifyService {
 public:
  VerifyService(db::Database& db, ratelimit::RateLimiter& limiter, usage::Spool& spool, const Clock& clock,
                VerifySettings s, PerWorker<redis::Client>* redis = nullptr);
  // With `record_now` the usage event is spooled here (the verify API); otherwise the caller spools it with
  // record() once it knows the outcome (the gateway), and must do so before answering.
  Task<Result<Decision>> decide(const VerifyInput& in, const http::Request& req, bool record_now = true);
  Status record(const Decision& d, const VerifyInput& in, const http::Request& req, const CallOutcome& outcome);
  // Gives back the units of an allowed call that did not happen after all (the upstream failed).
  Task<void> refund(Decision& d);
  // Service token → its scopes, or 401/403.
  Task<Status> authorize(const http::Request& req, const char* scope);
  KeyCache& cache() { return cache_; }
  QuotaTracker& quota() { return quota_; }
  // LISTEN/NOTIFY payloads: "key:<id>" / "org:<id>"; "*" (or a lost listener connection) clears everything.
  void invalidate(const std::string& payload);

 private:
  Task<Result<std::shared_ptr<const KeyRecord>>> load(const std::string& hash);
  // Quota check-and-count: Redis (shared by every instance) when configured, else this process's tracker.
  // Returns the total after the call, or nullopt when it would exceed `limit`.
  Task<std::optional<std::int64_t>> count_quota(const KeyRecord& rec, std::int64_t cost, std::int64_t limit);
  PerWorker<redis::Client>* redis_;
  db::Database& db_;
  ratelimit::RateLimiter& limiter_;
  usage::Spool& spool_;
  const Clock& clock_;
  VerifySettings s_;
  KeyCache cache_;
  QuotaTracker quota_;
  struct TokenEntry {
    bool valid = false;
    std::vector<std::string> scopes;
    std::int64_t loaded_ms = 0;
  };
  std::shared_mutex tokens_mu_;
  std::unordered_map<std::string, std::shared_ptr<const TokenEntry>> tokens_;
};

void register_routes(http::Router& router, VerifyService& service);

// `tollgate service-token create --name N [--scope S]...`: prints the token once.
Result<std::string> create_service_token(const std::string& conninfo, const std::string& name,
                                         const std::vector<std::string>& scopes);

}  // namespace tg::verify
