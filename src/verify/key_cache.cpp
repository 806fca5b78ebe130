#include "verify/key_cache.hpp"

namespace tg::verify {

std::optional<KeyCache::Entry> KeyCache::get(const std::string& hash) const {
  std::shared_lock lock(mu_);
  auto it = by_hash_.find(hash);
  if (it == by_hash_.end()) return std::nullopt;
  return it->second;
}

void KeyCache::put(const std::string& hash, std::shared_ptr<const KeyRecord> record, std::int64_t now_ms) {
  std::unique_lock lock(mu_);
  if (by_hash_.size() > 200000) by_hash_.clear();  // crude bound against memory growth from garbage keys
  by_hash_[hash] = Entry{std::move(record), now_ms};
}

void KeyCache::invalidate_key(const std::string& key_id) {
  std::unique_lock lock(mu_);
  for (auto it = by_hash_.begin(); it != by_hash_.end();) {
    // Negative entries go too: a new key's hash may have been probed before it existed.
    if (!it->second.record || it->second.record->id == key_id) it = by_hash_.erase(it);
    else ++it;
  }
}

void KeyCache::invalidate_org(const std::string& org_id) {
  std::unique_lock lock(mu_);
  for (auto it = by_hash_.begin(); it != by_hash_.end();) {
    if (!it->second.record || it->second.record->organization_id == org_id) it = by_hash_.erase(it);
    else ++it;
  }
}

void KeyCache::clear() {
  std::unique_lock lock(mu_);
  by_hash_.clear();
}

std::size_t KeyCache::size() const {
  std::shared_lock lock(mu_);
  return by_hash_.size();
}

void QuotaTracker::observe(const std::string& org, std::int64_t period_start_ms, std::int64_t committed) {
  std::lock_guard lock(mu_);
  auto& s = by_org_[org];
  if (s.period_start != period_start_ms) {
    s = State{period_start_ms, committed, 0};
    return;
  }
  s.committed = committed;
}

std::optional<std::int64_t> QuotaTracker::try_add(const std::string& org, std::int64_t period_start_ms,
                                                  std::int64_t cost, std::int64_t limit) {
  std::lock_guard lock(mu_);
  auto& s = by_org_[org];
  if (s.period_start != period_start_ms) s = State{period_start_ms, 0, 0};
  const std::int64_t total = s.committed + s.unshipped + cost;
  if (limit >= 0 && total > limit) return std::nullopt;
  s.unshipped += cost;
  return total;
}

std::int64_t QuotaTracker::used(const std::string& org, std::int64_t period_start_ms) const {
  std::lock_guard lock(mu_);
  auto it = by_org_.find(org);
  if (it == by_org_.end() || it->second.period_start != period_start_ms) return 0;
  return it->second.committed + it->second.unshipped;
}

void QuotaTracker::shipped(const std::string& org, std::int64_t cost) {
  std::lock_guard lock(mu_);
  auto it = by_org_.find(org);
  if (it == by_org_.end()) return;
  const std::int64_t moved = std::min(cost, it->second.unshipped);
  it->second.unshipped -= moved;
  it->second.committed += cost;
}

}  // namespace tg::verify
