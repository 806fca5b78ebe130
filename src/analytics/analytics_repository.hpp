#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "core/async.hpp"
#include "core/error.hpp"
#include "db/db.hpp"

namespace tg::cache {
class ResponseCache;
}

namespace tg::analytics {

// The admin analytics: rollups refreshed by a job (refresh, snapshot) and read by the API (report). Days are UTC
// dates "YYYY-MM-DD".
class AnalyticsRepository {
 public:
  // `read`: where report() reads (a replica under DATABASE_READ_URL); the upkeep writes to `db`.
  AnalyticsRepository(db::Database& db, db::Database& read) : db_(db), read_(read) {}
  explicit AnalyticsRepository(db::Database& db) : db_(db), read_(db) {}
  void set_cache(cache::ResponseCache* c) { cache_ = c; }
  cache::ResponseCache* cache() { return cache_; }

  // Recomputes every per-day metric of the days from..to (inclusive) from the source tables, in one transaction.
  Task<Status> refresh(const std::string& from, const std::string& to);
  // Today's snapshots: MRR per currency, paying organizations, users.
  Task<Status> snapshot();
  // Once per install: the last 400 days (job_cursors 'analytics.backfill').
  Task<Status> backfill_once();
  Task<Result<nlohmann::json>> report(const std::string& from, const std::string& to);

 private:
  db::Database& db_;
  db::Database& read_;
  cache::ResponseCache* cache_ = nullptr;
};

}  // namespace tg::analytics
