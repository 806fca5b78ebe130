#pragma once
#include "core/clock.hpp"

namespace tg::testing {
class FakeClock final : public Clock {
 public:
  explicit FakeClock(std::int64_t start_ms = 1'700'000'000'000) : now_ms_(start_ms) {}
  std::chrono::system_clock::time_point now() const override {
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(now_ms_));
  }
  void advance(std::chrono::milliseconds d) { now_ms_ += d.count(); }
  void set_ms(std::int64_t ms) { now_ms_ = ms; }

 private:
  std::int64_t now_ms_;
};
}  // namespace tg::testing
