#include <algorithm>
#include <cmath>

#include "ratelimit/rate_limiter.hpp"

namespace tg::ratelimit {

Decision decide(const WindowState& s, std::int64_t elapsed, const LimitRule& rule, std::int64_t cost) {
  const auto w = static_cast<std::int64_t>(rule.window.count());
  const double weight = static_cast<double>(w - elapsed) / static_cast<double>(w);
  const double estimate = static_cast<double>(s.prev) * weight + static_cast<double>(s.curr);
  Decision d;
  d.limit = rule.max;
  d.reset_ms = w - elapsed;
  d.allowed = estimate + static_cast<double>(cost) <= static_cast<double>(rule.max);
  const double used = d.allowed ? estimate + static_cast<double>(cost) : estimate;
  d.remaining = std::max<std::int64_t>(0, rule.max - static_cast<std::int64_t>(std::ceil(used)));
  if (!d.allowed) {
    const double room = static_cast<double>(rule.max - cost);
    if (static_cast<double>(s.curr) > room || cost > rule.max) {
      // The current window alone is over: wait for it to end and for its weight to fade enough.
      double frac = s.curr > 0 ? 1.0 - std::max(0.0, room) / static_cast<double>(s.curr) : 1.0;
      d.retry_after_ms = (w - elapsed) + static_cast<std::int64_t>(std::ceil(frac * static_cast<double>(w)));
    } else {
      // prev * (w - elapsed - t) / w + curr + cost <= max  →  t = elapsed-weighted remainder.
      double t = static_cast<double>(w - elapsed) - (room - static_cast<double>(s.curr)) * static_cast<double>(w) /
                                                        static_cast<double>(std::max<std::int64_t>(1, s.prev));
      d.retry_after_ms = std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(t)));
    }
  }
  return d;
}

}  // namespace tg::ratelimit
