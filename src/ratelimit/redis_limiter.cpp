#include "ratelimit/redis_limiter.hpp"


#include <cstring>

#include "core/log.hpp"

namespace tg::ratelimit {
namespace {

// KEYS[1]: key prefix. ARGV: window ms, max, cost. Returns {allowed, prev, curr_before, elapsed_ms}.
constexpr const char* kScript = R"LUA(
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local w = tonumber(ARGV[1])
local max = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local start = now - (now % w)
local ck = KEYS[1] .. ':' .. start
local pk = KEYS[1] .. ':' .. (start - w)
local curr = tonumber(redis.call('GET', ck) or '0')
local prev = tonumber(redis.call('GET', pk) or '0')
local elapsed = now - start
local est = prev * ((w - elapsed) / w) + curr
local allowed = 0
if est + cost <= max then
  redis.call('INCRBY', ck, cost)
  redis.call('PEXPIRE', ck, w * 2)
  allowed = 1
end
return {allowed, prev, curr, elapsed}
)LUA";

std::string redis_key(const std::string& key) {
  return "tg:rl:{" + key + "}";
}

}  // namespace

Task<Result<Decision>> RedisLimiter::hit(const std::string& key, const LimitRule& rule, std::int64_t cost) {
  auto& client = clients_.local();
  std::vector<std::string> args = {"1", redis_key(key), std::to_string(rule.window.count()), std::to_string(rule.max),
                                   std::to_string(cost)};
  auto reply = co_await client.eval(kScript, args);
  if (!reply) co_return reply.error();
  if (reply->type != redis::Reply::Type::array || reply->elements.size() != 4) {
    co_return Error::of(ErrorCode::Internal, "unexpected redis reply: " + reply->str);
  }
  const auto& e = reply->elements;
  WindowState before{e[1].integer, e[2].integer};
  Decision d = decide(before, e[3].integer, rule, cost);
  // The script is the authority on allow/deny; decide() only derives the headers.
  d.allowed = e[0].integer == 1;
  if (d.allowed && d.retry_after_ms) d.retry_after_ms = 0;
  d.store = "redis";
  co_return d;
}

Task<Status> RedisLimiter::reset(const std::string& key, const LimitRule& rule) {
  auto& client = clients_.local();
  std::vector<std::string> time_cmd{"TIME"};
  auto reply = co_await client.command(std::move(time_cmd));
  if (!reply) co_return reply.error();
  if (reply->elements.size() < 1) co_return Error::of(ErrorCode::Internal, "bad TIME reply");
  std::int64_t now = std::stoll(reply->elements[0].str) * 1000;
  std::int64_t w = rule.window.count();
  std::int64_t start = now - (now % w);
  std::vector<std::string> del_cmd{"DEL", redis_key(key) + ":" + std::to_string(start),
                                   redis_key(key) + ":" + std::to_string(start - w)};
  auto del = co_await client.command(std::move(del_cmd));
  if (!del) co_return del.error();
  co_return ok_status();
}

FallbackLimiter::FallbackLimiter(std::unique_ptr<RedisLimiter> redis, std::unique_ptr<MemoryLimiter> memory,
                                 const Clock& clock)
    : redis_(std::move(redis)),
      memory_(std::move(memory)),
      clock_(clock),
      redis_errors_(metrics::registry().counter("tollgate_ratelimit_store_errors_total",
                                                "Rate-limit decisions that Redis failed to make (timeout or error)",
                                                {{"store", "redis"}})),
      breaker_skips_(metrics::registry().counter("tollgate_ratelimit_breaker_open_total",
                                                 "Rate-limit decisions sent to the in-process store while the Redis "
                                                 "breaker was open")) {}

Task<Decision> FallbackLimiter::hit(std::string key, LimitRule rule, std::int64_t cost) {
  if (redis_) {
    if (clock_.now_ms() >= open_until_ms_.load(std::memory_order_relaxed)) {
      auto r = co_await redis_->hit(key, rule, cost);
      if (r) co_return r.value();
      redis_errors_.inc();
      open_until_ms_.store(clock_.now_ms() + 1000, std::memory_order_relaxed);
      log::warn("rate limiter falling back to in-process store", {{"reason", r.error().detail}});
    } else {
      breaker_skips_.inc();
    }
  }
  co_return memory_->hit_now(key, rule, cost);
}

Task<void> FallbackLimiter::reset(std::string key, LimitRule rule) {
  if (redis_) co_await redis_->reset(key, rule);
  co_await memory_->reset(key, rule);
}

}  // namespace tg::ratelimit
