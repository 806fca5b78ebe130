#pragma once
#include <atomic>
#include <memory>

#include "core/metrics.hpp"
#include "ratelimit/memory_limiter.hpp"
#include "redis/client.hpp"

namespace tg::ratelimit {

// Shared store: one atomic Lua script per decision, time taken from Redis so instances agree.
class RedisLimiter {
 public:
  explicit RedisLimiter(PerWorker<redis::Client>& clients) : clients_(clients) {}
  Task<Result<Decision>> hit(const std::string& key, const LimitRule& rule, std::int64_t cost);
  Task<Status> reset(const std::string& key, const LimitRule& rule);

 private:
  PerWorker<redis::Client>& clients_;
};

// Redis first; when Redis is unset, down or slower than REDIS_TIMEOUT, the in-process store decides (fail-open to
// a per-instance limit, never to "no limit"). After a failure the breaker skips Redis for a second.
class FallbackLimiter final : public RateLimiter {
 public:
  FallbackLimiter(std::unique_ptr<RedisLimiter> redis, std::unique_ptr<MemoryLimiter> memory, const Clock& clock);
  Task<Decision> hit(std::string key, LimitRule rule, std::int64_t cost = 1) override;
  Task<void> reset(std::string key, LimitRule rule) override;

 private:
  std::unique_ptr<RedisLimiter> redis_;
  std::unique_ptr<MemoryLimiter> memory_;
  const Clock& clock_;
  std::atomic<std::int64_t> open_until_ms_{0};
  metrics::Counter& redis_errors_;
  metrics::Counter& breaker_skips_;
};

}  // namespace tg::ratelimit
