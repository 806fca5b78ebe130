#pragma once
#include <unistd.h>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <cstdlib>
#include <optional>
#include <string>

#include "core/embedded.hpp"
#include "db/db.hpp"
#include "db/migrate.hpp"

namespace tg::testing {

// A fresh, migrated database in the cluster named by TEST_DATABASE_URL (make test provides it); nullopt without it.
// Tests run coroutines on `ctx` with run().
class TestDb {
 public:
  static std::optional<std::string> base_url() {
    const char* u = std::getenv("TEST_DATABASE_URL");
    if (!u) return std::nullopt;
    return std::string(u);
  }

  explicit TestDb(const std::string& base, const std::string& tag) {
    static std::atomic<int> seq{0};
    name_ = "tg_unit_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(seq++);
    url_ = base.substr(0, base.rfind('/') + 1) + name_;
    db::Database admin(db::PoolOptions{base, 1, std::chrono::seconds(5), std::chrono::seconds(30)});
    admin.add_worker(ctx.get_executor());
    run([&]() -> Task<void> {
      auto lease = co_await admin.lease(std::chrono::seconds(5));
      if (!lease) co_return;
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
      co_await lease.value()->exec_script("DROP DATABASE IF EXISTS " + name_, deadline);
      auto r = co_await lease.value()->exec_script("CREATE DATABASE " + name_, deadline);
      created_ = r.ok();
    }());
    db = std::make_unique<db::Database>(db::PoolOptions{url_, 2, std::chrono::seconds(5), std::chrono::seconds(30)});
    db->add_worker(ctx.get_executor());
    if (created_) {
      run([&]() -> Task<void> {
        auto m = co_await db::migrate(*db, embedded::migrations());
        migrated_ = m.ok();
      }());
    }
  }
  bool ok() const { return created_ && migrated_; }

  void run(Task<void> task) {
    asio::co_spawn(ctx, std::move(task), asio::detached);
    ctx.run();
    ctx.restart();
  }

  asio::io_context ctx;
  std::unique_ptr<db::Database> db;

 private:
  std::string name_, url_;
  bool created_ = false, migrated_ = false;
};

}  // namespace tg::testing
