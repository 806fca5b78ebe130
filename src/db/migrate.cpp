#include "db/migrate.hpp"

#include "core/log.hpp"

namespace tg::db {
namespace {
constexpr Query kLock{"migrate_lock", "SELECT pg_advisory_xact_lock(7243170917)"};
constexpr Query kEnsureTable{"migrate_ensure_table",
                             "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT "
                             "NULL, applied_at timestamptz NOT NULL DEFAULT now())"};
constexpr Query kIsApplied{"migrate_is_applied", "SELECT 1 FROM schema_migrations WHERE version = $1"};
constexpr Query kRecord{"migrate_record", "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)"};
constexpr Query kApplied{"migrate_applied", "SELECT version FROM schema_migrations WHERE version = ANY($1::int[])"};
constexpr Query kTableExists{"migrate_table_exists", "SELECT to_regclass('schema_migrations') IS NOT NULL AS present"};
}  // namespace

Task<Result<int>> migrate(Database& db, const std::vector<embedded::Migration>& all) {
  int applied = 0;
  for (const auto& m : all) {
    auto lease = co_await db.lease(std::chrono::seconds(10));
    if (!lease) co_return lease.error();
    auto& conn = *lease.value();
    auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(10);
    auto step = [&](const Query& q, const Params& p) { return conn.query(q, p, deadline); };
    if (auto r = co_await conn.exec_script("BEGIN", deadline); !r) co_return r.error();
    const Params none;
    if (auto r = co_await step(kLock, none); !r) co_return r.error();
    if (auto r = co_await step(kEnsureTable, none); !r) co_return r.error();
    Params version{std::to_string(m.version)};
    auto done = co_await step(kIsApplied, version);
    if (!done) co_return done.error();
    if (!done->empty()) {
      if (auto r = co_await conn.exec_script("COMMIT", deadline); !r) co_return r.error();
      continue;
    }
    if (auto r = co_await conn.exec_script(m.sql, deadline); !r) {
      log::error("migration failed", {{"version", m.version}, {"name", m.name}, {"cause", r.error().cause}});
      co_await conn.exec_script("ROLLBACK", deadline);
      co_return r.error();
    }
    Params record{std::to_string(m.version), std::string(m.name)};
    if (auto r = co_await step(kRecord, record); !r) co_return r.error();
    if (auto r = co_await conn.exec_script("COMMIT", deadline); !r) co_return r.error();
    log::info("migration applied", {{"version", m.version}, {"name", m.name}});
    ++applied;
  }
  co_return applied;
}

Task<Result<MigrationStatus>> migration_status(Database& db, const std::vector<embedded::Migration>& all) {
  MigrationStatus s;
  s.expected = static_cast<int>(all.size());
  auto exists = co_await db.query(kTableExists);
  if (!exists) co_return exists.error();
  if (!exists->boolean(0, "present")) co_return s;
  std::string arr = "{";
  for (std::size_t i = 0; i < all.size(); ++i) arr += (i ? "," : "") + std::to_string(all[i].version);
  arr += "}";
  Params versions{arr};
  auto rows = co_await db.query(kApplied, std::move(versions));
  if (!rows) co_return rows.error();
  s.applied = rows->size();
  co_return s;
}

}  // namespace tg::db
