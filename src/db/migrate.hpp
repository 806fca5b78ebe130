#pragma once
#include <vector>

#include "core/embedded.hpp"
#include "db/db.hpp"

namespace tg::db {

struct MigrationStatus {
  int applied = 0;   // how many of the binary's migrations the database has
  int expected = 0;  // how many the binary carries
  bool current() const { return applied >= expected; }
};

// Forward-only: each file runs in its own transaction under a transaction-scoped advisory lock, so several
// instances starting at once apply each file exactly once.
Task<Result<int>> migrate(Database& db, const std::vector<embedded::Migration>& all);
Task<Result<MigrationStatus>> migration_status(Database& db, const std::vector<embedded::Migration>& all);

}  // namespace tg::db
