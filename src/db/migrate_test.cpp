#include "db/migrate.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdlib>
#include <set>

namespace tg::db {
namespace {

TEST(Migrations, EmbeddedFilesAreNumberedUniquelyAndInOrder) {
  const auto& all = embedded::migrations();
  ASSERT_FALSE(all.empty());
  std::set<int> seen;
  int prev = 0;
  for (const auto& m : all) {
    EXPECT_GT(m.version, prev) << m.name;
    EXPECT_TRUE(seen.insert(m.version).second) << m.name;
    EXPECT_FALSE(m.sql.empty()) << m.name;
    // The migrator wraps each file in a transaction itself.
    EXPECT_EQ(std::string(m.sql).find("CONCURRENTLY"), std::string::npos) << m.name;
    prev = m.version;
  }
}

// Against a real PostgreSQL (make test provides TEST_DATABASE_URL): a fresh database, then migrate three times
// at once from three connections: each file is applied exactly once, and the status says current.
TEST(Migrations, ApplyOnceEvenWhenInstancesRace) {
  const char* base = std::getenv("TEST_DATABASE_URL");
  if (!base) GTEST_SKIP() << "TEST_DATABASE_URL not set (make test sets it)";
  std::string name = "tg_unit_migrate_" + std::to_string(::getpid());
  std::string url(base);
  std::string db_url = url.substr(0, url.rfind('/') + 1) + name;

  asio::io_context ctx;
  Database admin(PoolOptions{url, 1, std::chrono::seconds(5), std::chrono::seconds(30)});
  admin.add_worker(ctx.get_executor());
  Database target(PoolOptions{db_url, 4, std::chrono::seconds(5), std::chrono::seconds(60)});
  target.add_worker(ctx.get_executor());

  int finished = 0;
  std::vector<Result<int>> results;
  auto run = [&]() -> Task<void> {
    auto lease = co_await admin.lease(std::chrono::seconds(5));
    EXPECT_TRUE(lease.ok());
    if (!lease) co_return;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    co_await lease.value()->exec_script("DROP DATABASE IF EXISTS " + name, deadline);
    auto created = co_await lease.value()->exec_script("CREATE DATABASE " + name, deadline);
    EXPECT_TRUE(created.ok());
    co_return;
  };
  asio::co_spawn(ctx, run(), asio::detached);
  ctx.run();
  ctx.restart();

  // Lambda coroutines are named and outlive ctx.run(): a temporary closure would dangle once co_spawn returns.
  auto migrate_once = [&]() -> Task<void> {
    auto r = co_await migrate(target, embedded::migrations());
    results.push_back(r);
    ++finished;
  };
  for (int i = 0; i < 3; ++i) asio::co_spawn(ctx, migrate_once(), asio::detached);
  ctx.run();
  ctx.restart();
  ASSERT_EQ(finished, 3);
  int total = 0;
  for (auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.error().cause;
    total += r.value();
  }
  EXPECT_EQ(total, static_cast<int>(embedded::migrations().size()));

  std::optional<Result<MigrationStatus>> status;
  auto read_status = [&]() -> Task<void> { status = co_await migration_status(target, embedded::migrations()); };
  asio::co_spawn(ctx, read_status(), asio::detached);
  ctx.run();
  ctx.restart();
  ASSERT_TRUE(status && status->ok());
  EXPECT_TRUE(status->value().current());
  EXPECT_EQ(status->value().applied, static_cast<int>(embedded::migrations().size()));

  // A second run applies nothing.
  std::optional<Result<int>> again;
  auto migrate_again = [&]() -> Task<void> { again = co_await migrate(target, embedded::migrations()); };
  asio::co_spawn(ctx, migrate_again(), asio::detached);
  ctx.run();
  ASSERT_TRUE(again && again->ok());
  EXPECT_EQ(again->value(), 0);
}

}  // namespace
}  // namespace tg::db
