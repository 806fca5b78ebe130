#pragma once
#include "core/clock.hpp"
#include "db/db.hpp"
#include "http/router.hpp"

namespace tg::cache {
class ResponseCache;
}

namespace tg::usage {

// Usage analytics of the caller's organization. Range queries read the hour/day rollups; `detailed` and `export`
// read raw events. All SQL of the analytics lives in usage_handlers.cpp's named queries.
class UsageRepository {
 public:
  // `read`: where range queries go (a replica under DATABASE_READ_URL); the quota always reads the primary.
  UsageRepository(db::Database& db, db::Database& read) : db_(db), read_(read) {}
  explicit UsageRepository(db::Database& db) : db_(db), read_(db) {}
  db::Database& db() { return db_; }
  db::Database& read() { return read_; }
  // RESPONSE_CACHE_TTL: summaries cached in Redis, invalidated by new rollups (null: no cache).
  void set_cache(cache::ResponseCache* c) { cache_ = c; }
  cache::ResponseCache* cache() { return cache_; }

 private:
  cache::ResponseCache* cache_ = nullptr;
  db::Database& db_;
  db::Database& read_;
};

void register_routes(http::Router& router, UsageRepository& repo, const Clock& clock);

}  // namespace tg::usage
