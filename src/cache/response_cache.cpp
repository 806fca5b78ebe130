#include "cache/response_cache.hpp"

#include "core/metrics.hpp"
#include "redis/client.hpp"

namespace tg::cache {
namespace {

constexpr const char* kGet = R"(local v = redis.call('GET', KEYS[1]) or '0'
local b = redis.call('GET', ARGV[1] .. v .. ':' .. ARGV[2])
if not b then return {v} end
return {v, b})";

std::string version_key(const std::string& scope) {
  return "tg:rc:v:" + scope;
}
std::string entry_prefix(const std::string& scope) {
  return "tg:rc:e:" + scope + ":";
}

metrics::Counter& outcome(const char* what) {
  return metrics::registry().counter("tollgate_response_cache_total", "Analytics response cache lookups by outcome",
                                     {{"outcome", what}});
}

}  // namespace

Task<ResponseCache::Lookup> ResponseCache::get(const std::string& scope, const std::string& key) {
  Lookup out;
  if (!enabled()) co_return out;
  std::vector<std::string> args{"1", version_key(scope), entry_prefix(scope), key};
  auto r = co_await redis_->local().eval(kGet, args);
  if (!r || r->type != redis::Reply::Type::array || r->elements.empty()) {
    static auto& errors = outcome("error");
    errors.inc();
    co_return out;
  }
  out.version = r->elements[0].str;
  if (r->elements.size() > 1 && r->elements[1].type == redis::Reply::Type::string) {
    static auto& hits = outcome("hit");
    hits.inc();
    out.body = std::move(r->elements[1].str);
  } else {
    static auto& misses = outcome("miss");
    misses.inc();
  }
  co_return out;
}

Task<void> ResponseCache::put(const std::string& scope, const std::string& version, const std::string& key,
                              std::string body) {
  if (!enabled() || version.empty()) co_return;
  std::vector<std::string> cmd{"SET", entry_prefix(scope) + version + ":" + key, std::move(body), "EX",
                               std::to_string(ttl_.count())};
  auto r = co_await redis_->local().command(std::move(cmd));
  (void)r;  // a failed store is only a later miss
}

Task<void> ResponseCache::bump(std::vector<std::string> scopes) {
  if (!enabled()) co_return;
  scopes.emplace_back("all");
  for (const auto& s : scopes) {
    std::vector<std::string> cmd{"INCR", version_key(s)};
    auto r = co_await redis_->local().command(std::move(cmd));
    if (!r) {
      static auto& errors = outcome("bump_error");
      errors.inc();
    }
  }
}

}  // namespace tg::cache
