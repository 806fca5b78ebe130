#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdlib>

#include "../tests/mocks/fake_clock.hpp"
#include "../tests/mocks/run_sync.hpp"
#include "ratelimit/memory_limiter.hpp"
#include "ratelimit/redis_limiter.hpp"

namespace tg::ratelimit {
namespace {
using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(SlidingWindow, DecideWeightsThePreviousWindow) {
  LimitRule rule{10, seconds(60)};
  // Half-way through the window, 10 in the previous window count as 5.
  auto d = decide({10, 4}, 30'000, rule, 1);
  EXPECT_TRUE(d.allowed);
  EXPECT_EQ(d.remaining, 0);
  auto denied = decide({10, 5}, 30'000, rule, 1);
  EXPECT_FALSE(denied.allowed);
  EXPECT_GT(denied.retry_after_ms, 0);
  EXPECT_LE(denied.retry_after_ms, 30'000);
  // After waiting retry_after the same request fits.
  auto later = decide({10, 5}, 30'000 + denied.retry_after_ms, rule, 1);
  EXPECT_TRUE(later.allowed);
}

TEST(MemoryLimiter, EnforcesTheLimitWithinAWindow) {
  testing::FakeClock clock;
  clock.set_ms(1'700'000'000'000 - (1'700'000'000'000 % 60'000));  // window start
  MemoryLimiter lim(clock);
  LimitRule rule{3, seconds(60)};
  for (int i = 0; i < 3; ++i) {
    auto d = lim.hit_now("k", rule, 1);
    EXPECT_TRUE(d.allowed) << i;
    EXPECT_EQ(d.remaining, 2 - i);
    EXPECT_EQ(d.limit, 3);
  }
  auto d = lim.hit_now("k", rule, 1);
  EXPECT_FALSE(d.allowed);
  EXPECT_EQ(d.remaining, 0);
  EXPECT_GT(d.retry_after_ms, 0);
  EXPECT_TRUE(lim.hit_now("other", rule, 1).allowed);  // keys are independent
}

TEST(MemoryLimiter, SlidesIntoTheNextWindowGradually) {
  testing::FakeClock clock;
  const std::int64_t start = 1'700'000'000'000 - (1'700'000'000'000 % 60'000);
  clock.set_ms(start);
  MemoryLimiter lim(clock);
  LimitRule rule{4, seconds(60)};
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(lim.hit_now("k", rule, 1).allowed);
  clock.set_ms(start + 60'000 + 15'000);  // previous window weighs 0.75 → 3 used
  EXPECT_TRUE(lim.hit_now("k", rule, 1).allowed);
  EXPECT_FALSE(lim.hit_now("k", rule, 1).allowed);
  clock.set_ms(start + 180'000);  // two windows later: everything forgotten
  for (int i = 0; i < 4; ++i) EXPECT_TRUE(lim.hit_now("k", rule, 1).allowed);
}

TEST(MemoryLimiter, DeniedRequestsAreNotCountedAndResetClears) {
  testing::FakeClock clock;
  MemoryLimiter lim(clock);
  LimitRule rule{1, seconds(10)};
  EXPECT_TRUE(lim.hit_now("k", rule, 1).allowed);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(lim.hit_now("k", rule, 1).allowed);
  testing::run_sync(lim.reset("k", rule));
  EXPECT_TRUE(lim.hit_now("k", rule, 1).allowed);
  EXPECT_FALSE(lim.hit_now("big", rule, 2).allowed);  // cost above the limit never passes
}

// Runs `body` with a Redis client bound to a fresh io_context.
template <class F>
void with_redis(const std::string& url, F body) {
  asio::io_context ctx;
  auto ep = redis::parse_url(url);
  ASSERT_TRUE(ep.ok());
  PerWorker<redis::Client> clients;
  clients.add(std::make_unique<redis::Client>(ctx.get_executor(), ep.value(), milliseconds(200)));
  std::exception_ptr err;
  asio::co_spawn(ctx, body(clients), [&](std::exception_ptr e) {
    err = e;
    clients.local().close();  // ends the read loop so run() returns
  });
  ctx.run();
  if (err) std::rethrow_exception(err);
}

TEST(RedisLimiter, SharedWindowThroughLua) {
  const char* url = std::getenv("TEST_REDIS_URL");
  if (!url) GTEST_SKIP() << "TEST_REDIS_URL not set (make test sets it)";
  with_redis(url, [](PerWorker<redis::Client>& clients) -> Task<void> {
    RedisLimiter lim(clients);
    LimitRule rule{2, seconds(60)};
    std::string key = "unit-" + std::to_string(std::rand());
    auto a = co_await lim.hit(key, rule, 1);
    auto b = co_await lim.hit(key, rule, 1);
    auto c = co_await lim.hit(key, rule, 1);
    EXPECT_TRUE(a.ok() && a->allowed);
    EXPECT_TRUE(b.ok() && b->allowed);
    EXPECT_TRUE(c.ok() && !c->allowed);
    if (c.ok()) {
      EXPECT_STREQ(c->store, "redis");
      EXPECT_EQ(c->remaining, 0);
    }
    auto reset = co_await lim.reset(key, rule);
    EXPECT_TRUE(reset.ok());
    auto d = co_await lim.hit(key, rule, 1);
    EXPECT_TRUE(d.ok() && d->allowed);
  });
}

TEST(FallbackLimiter, KeepsEnforcingWhenRedisIsDown) {
  // Port 1 on loopback refuses connections: Redis "down".
  with_redis("redis://127.0.0.1:1", [](PerWorker<redis::Client>& clients) -> Task<void> {
    testing::FakeClock clock;
    FallbackLimiter lim(std::make_unique<RedisLimiter>(clients), std::make_unique<MemoryLimiter>(clock), clock);
    LimitRule rule{2, seconds(60)};
    auto a = co_await lim.hit("k", rule);
    auto b = co_await lim.hit("k", rule);
    auto c = co_await lim.hit("k", rule);
    EXPECT_TRUE(a.allowed);
    EXPECT_STREQ(a.store, "memory");
    EXPECT_TRUE(b.allowed);
    EXPECT_FALSE(c.allowed);
  });
}

TEST(FallbackLimiter, WithoutRedisUsesMemory) {
  testing::FakeClock clock;
  FallbackLimiter lim(nullptr, std::make_unique<MemoryLimiter>(clock), clock);
  LimitRule rule{1, seconds(60)};
  EXPECT_TRUE(testing::run_sync(lim.hit("k", rule)).allowed);
  EXPECT_FALSE(testing::run_sync(lim.hit("k", rule)).allowed);
}

TEST(RedisUrl, Parses) {
  auto e = redis::parse_url("redis://:pw@cache.local:6380/2");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->host, "cache.local");
  EXPECT_EQ(e->port, 6380);
  EXPECT_EQ(e->password, "pw");
  EXPECT_EQ(e->db, 2);
  EXPECT_FALSE(redis::parse_url("redis://h:99999").ok());
  EXPECT_FALSE(redis::parse_url("http://h").ok());
}

}  // namespace
}  // namespace tg::ratelimit
