#pragma once
#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "db/db.hpp"
#include "http/router.hpp"
#include "verify/verify_service.hpp"

namespace tg::gateway {

struct Endpoint {
  std::string id, method, pattern, upstream_url, description;
  std::int64_t cost = 1;
  std::int64_t rate_limit = 0;  // 0: only the key's limit
  std::int64_t timeout_ms = 30000;
  bool is_public = false;
};

// Does `path` (below /gw) match `pattern`? Segments match literally, `{name}` matches one segment and a final
// `*` matches the rest (including nothing).
bool path_matches(std::string_view pattern, std::string_view path);

// The API catalog (api_endpoints), held in memory and re-read every few seconds and on NOTIFY.
class Catalog {
 public:
  explicit Catalog(db::Database& db) : db_(db) {}
  Task<Status> reload();
  Task<void> run(const std::atomic<bool>& stop);
  // Most specific match: exact method before '*', then the longest pattern.
  std::shared_ptr<const Endpoint> match(std::string_view method, std::string_view path) const;
  bool loaded() const;
  // A miss re-reads the catalog at most once a second, so a new endpoint (or one seeded by migrations that ran
  // after the first load) works at once instead of after the periodic reload.
  Task<std::shared_ptr<const Endpoint>> match_or_reload(std::string method, std::string path);

 private:
  db::Database& db_;
  mutable std::mutex mu_;
  std::shared_ptr<const std::vector<Endpoint>> endpoints_;
  std::atomic<std::int64_t> last_reload_ms_{0};
};

struct GatewayDeps {
  Catalog& catalog;
  verify::VerifyService& verify;
  ratelimit::RateLimiter& limiter;
  std::chrono::milliseconds key_window;
};

// /gw/*: authenticate the key (Authorization: Bearer or X-API-Key), limit, meter, proxy.
void register_routes(http::Router& router, GatewayDeps given);

// `tollgate endpoints list|add|remove`.
int endpoints_cli(const std::string& conninfo, int argc, char** argv);

}  // namespace tg::gateway
