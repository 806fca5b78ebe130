#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "core/async.hpp"
#include "core/config.hpp"

namespace tg::ratelimit {

struct Decision {
  bool allowed = true;
  std::int64_t limit = 0;
  std::int64_t remaining = 0;
  std::int64_t reset_ms = 0;        // until the current window ends
  std::int64_t retry_after_ms = 0;  // when denied: until a request of this cost would pass
  const char* store = "memory";     // which store decided, for metrics
};

// Sliding-window counter (Cloudflare's approximation): the previous fixed window's count, weighted by how much of
// it still overlaps the sliding window, plus the current window's count. Exact enough, O(1) memory per key,
// and expressible as one atomic Redis Lua script.
struct WindowState {
  std::int64_t prev = 0;
  std::int64_t curr = 0;
};
Decision decide(const WindowState& before, std::int64_t elapsed_in_window_ms, const LimitRule& rule, std::int64_t cost);

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  // Counts `cost` against `key` when allowed; denied requests are not counted.
  virtual Task<Decision> hit(std::string key, LimitRule rule, std::int64_t cost = 1) = 0;
  virtual Task<void> reset(std::string key, LimitRule rule) = 0;
};

}  // namespace tg::ratelimit
