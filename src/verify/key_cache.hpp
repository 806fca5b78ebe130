#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <shared_mutex>
#include <string>
#include <unordered_map>

namespace tg::verify {

// Everything the decision needs about one key, loaded with one query.
struct KeyRecord {
  std::string id, organization_id, environment, status;
  std::int64_t expires_ms = 0;  // 0: never
  std::int64_t grace_ms = 0;    // 0: not rotating
  std::optional<std::int64_t> rate_override;
  nlohmann::json meta = nlohmann::json::object();
  std::string meta_text = "{}";  // meta, serialized once at load
  std::string org_status, owner_status;
  std::string plan_slug, quota_policy;
  std::int64_t included_units = 0, plan_rate = 0;
  std::int64_t period_start_ms = 0, period_end_ms = 0;
  bool payment_blocked = false;
  std::int64_t committed_used = 0;  // cost_units of the period in the rollups when loaded
};

// Process-wide cache of key records by key hash, with negative entries for unknown hashes (a flood of bad keys
// then costs no queries). Entries are dropped by LISTEN/NOTIFY invalidation and refreshed after `ttl_ms` anyway.
class KeyCache {
 public:
  struct Entry {
    std::shared_ptr<const KeyRecord> record;  // null: known not to exist
    std::int64_t loaded_ms = 0;
  };
  std::optional<Entry> get(const std::string& hash) const;
  void put(const std::string& hash, std::shared_ptr<const KeyRecord> record, std::int64_t now_ms);
  void invalidate_key(const std::string& key_id);
  void invalidate_org(const std::string& org_id);
  void clear();
  std::size_t size() const;

 private:
  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, Entry> by_hash_;
};

// Quota bookkeeping per organization and period: units committed to the rollups (as last read or shipped by this
// process) plus units counted here but not shipped yet. Another instance's usage shows up when this one reloads
// the key (every few seconds), which bounds the overshoot without Redis (docs/architecture.md).
class QuotaTracker {
 public:
  // Replaces the committed figure (a fresh read of the rollups).
  void observe(const std::string& org, std::int64_t period_start_ms, std::int64_t committed);
  // Adds `cost` if the total stays within `limit` (limit < 0: no limit). Returns the total after, or nullopt when
  // it would exceed the limit.
  std::optional<std::int64_t> try_add(const std::string& org, std::int64_t period_start_ms, std::int64_t cost,
                                      std::int64_t limit);
  std::int64_t used(const std::string& org, std::int64_t period_start_ms) const;
  // After a shipment commit: those units moved from "unshipped" to "committed".
  void shipped(const std::string& org, std::int64_t cost);

 private:
  struct State {
    std::int64_t period_start = 0, committed = 0, unshipped = 0;
  };
  mutable std::mutex mu_;
  std::unordered_map<std::string, State> by_org_;
};

}  // namespace tg::verify
