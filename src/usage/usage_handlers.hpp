#pragma once
#include "core/clock.hpp"
#include "db/db.hpp"
#include "http/router.hpp"

namespace tg::usage {

// Usage analytics of the caller's organization. Range queries read the hour/day rollups; `detailed` and `export`
// read raw events. All SQL of the analytics lives in usage_handlers.cpp's named queries.
class UsageRepository {
 public:
  explicit UsageRepository(db::Database& db) : db_(db) {}
  db::Database& db() { return db_; }

 private:
  db::Database& db_;
};

void register_routes(http::Router& router, UsageRepository& repo, const Clock& clock);

}  // namespace tg::usage
