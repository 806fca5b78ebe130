#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "core/async.hpp"
#include "core/error.hpp"

namespace tg::redis {
class Client;
}

namespace tg::cache {

// Optional Redis cache of analytics answers (RESPONSE_CACHE_TTL > 0 and REDIS_URL set). Entries are keyed by a
// scope's version: new rollups bump the version of the organizations they touch (and of "all", which the admin
// analytics use), so a cached answer is never served after the data under it changed; old entries simply expire.
// Redis failing or slow is a miss: the answer is computed as if there were no cache.
class ResponseCache {
 public:
  ResponseCache(PerWorker<redis::Client>* redis, std::chrono::seconds ttl) : redis_(redis), ttl_(ttl) {}
  bool enabled() const { return redis_ != nullptr && ttl_.count() > 0; }

  struct Lookup {
    std::string version;              // of the scope, to store a computed answer under
    std::optional<std::string> body;  // the cached answer
  };
  // One round trip (a script): the scope's version and the entry under it. Call on an I/O thread.
  Task<Lookup> get(const std::string& scope, const std::string& key);
  Task<void> put(const std::string& scope, const std::string& version, const std::string& key, std::string body);
  // After new rollups: bumps the versions of `scopes` (plus "all").
  Task<void> bump(std::vector<std::string> scopes);

 private:
  PerWorker<redis::Client>* redis_;
  std::chrono::seconds ttl_;
};

}  // namespace tg::cache
