#pragma once
#include <array>
#include <mutex>
#include <unordered_map>

#include "core/clock.hpp"
#include "ratelimit/rate_limiter.hpp"

namespace tg::ratelimit {

// In-process store: enforces per instance. Sharded so threads rarely contend; stale keys are swept as it goes.
class MemoryLimiter final : public RateLimiter {
 public:
  explicit MemoryLimiter(const Clock& clock) : clock_(clock) {}
  Task<Decision> hit(std::string key, LimitRule rule, std::int64_t cost = 1) override;
  Task<void> reset(std::string key, LimitRule rule) override;
  Decision hit_now(const std::string& key, const LimitRule& rule, std::int64_t cost);
  std::size_t size() const;

 private:
  struct Entry {
    std::int64_t window_start = 0;
    std::int64_t window_ms = 0;
    std::int64_t prev = 0;
    std::int64_t curr = 0;
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, Entry> map;
    std::size_t ops = 0;
  };
  Shard& shard(const std::string& key);
  const Clock& clock_;
  std::array<Shard, 16> shards_;
};

}  // namespace tg::ratelimit
