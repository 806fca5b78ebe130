#include "ratelimit/memory_limiter.hpp"

#include <functional>

namespace tg::ratelimit {

MemoryLimiter::Shard& MemoryLimiter::shard(const std::string& key) {
  return shards_[std::hash<std::string>{}(key) % shards_.size()];
}

Decision MemoryLimiter::hit_now(const std::string& key, const LimitRule& rule, std::int64_t cost) {
  const std::int64_t now = clock_.now_ms();
  const std::int64_t w = rule.window.count();
  const std::int64_t start = now - (now % w);
  Shard& s = shard(key);
  std::lock_guard lk(s.mu);
  if (++s.ops % 4096 == 0) {
    // Entries idle for two windows carry no weight any more.
    for (auto it = s.map.begin(); it != s.map.end();) {
      if (now - it->second.window_start >= 2 * it->second.window_ms)
        it = s.map.erase(it);
      else
        ++it;
    }
  }
  Entry& e = s.map[key];
  if (e.window_ms != w) e = Entry{start, w, 0, 0};
  if (e.window_start != start) {
    e.prev = (start - e.window_start == w) ? e.curr : 0;
    e.curr = 0;
    e.window_start = start;
  }
  Decision d = decide(WindowState{e.prev, e.curr}, now - start, rule, cost);
  if (d.allowed) e.curr += cost;
  d.store = "memory";
  return d;
}

Task<Decision> MemoryLimiter::hit(std::string key, LimitRule rule, std::int64_t cost) {
  co_return hit_now(key, rule, cost);
}

Task<void> MemoryLimiter::reset(std::string key, LimitRule) {
  Shard& s = shard(key);
  std::lock_guard lk(s.mu);
  s.map.erase(key);
  co_return;
}

std::size_t MemoryLimiter::size() const {
  std::size_t n = 0;
  for (const auto& s : shards_) {
    std::lock_guard lk(s.mu);
    n += s.map.size();
  }
  return n;
}

}  // namespace tg::ratelimit
