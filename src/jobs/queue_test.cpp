#include "jobs/queue.hpp"

#include <gtest/gtest.h>

#include "../tests/mocks/test_db.hpp"

namespace tg::jobs {
namespace {

constexpr db::Query kJob{"test_job_row",
                         "SELECT status, attempts, last_error, run_at > now() AS delayed FROM jobs WHERE id = $1"};
constexpr db::Query kMakeDue{"test_job_due", "UPDATE jobs SET run_at = now() WHERE id = $1"};

TEST(Backoff, DoublesAndCaps) {
  EXPECT_EQ(backoff(1).count(), 2);
  EXPECT_EQ(backoff(3).count(), 8);
  EXPECT_EQ(backoff(40).count(), 3600);
}

class QueueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto base = testing::TestDb::base_url();
    if (!base) GTEST_SKIP() << "TEST_DATABASE_URL not set (make test sets it)";
    tdb = std::make_unique<testing::TestDb>(*base, "jobs");
    ASSERT_TRUE(tdb->ok());
  }
  std::unique_ptr<testing::TestDb> tdb;
};

TEST_F(QueueTest, RunsAJobOnceAndMarksItDone) {
  Queue q(*tdb->db, "test-worker");
  int runs = 0;
  nlohmann::json seen;
  q.handle("greet", [&](const nlohmann::json& p) -> Task<Status> {
    ++runs;
    seen = p;
    co_return ok_status();
  });
  tdb->run([&]() -> Task<void> {
    const nlohmann::json payload = {{"to", "ada"}};  // named: GCC 12 miscompiles braced temporaries in co_await
    auto id = co_await q.enqueue("greet", payload);
    EXPECT_TRUE(id.ok());
    EXPECT_TRUE(co_await q.run_once());
    EXPECT_FALSE(co_await q.run_once());  // nothing else is due
    db::Params p{std::to_string(id.value())};
    auto row = co_await tdb->db->query(kJob, std::move(p));
    EXPECT_TRUE(row.ok());
    if (row.ok()) {
      EXPECT_EQ(row->get(0, "status"), "done");
      EXPECT_EQ(row->integer(0, "attempts"), 1);
    }
  }());
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(seen["to"], "ada");
}

TEST_F(QueueTest, IdempotencyKeyEnqueuesOnce) {
  Queue q(*tdb->db, "test-worker");
  tdb->run([&]() -> Task<void> {
    const nlohmann::json empty = nlohmann::json::object();
    const std::optional<std::string> key = "same-key";
    auto a = co_await q.enqueue("k", empty, key);
    auto b = co_await q.enqueue("k", empty, key);
    EXPECT_TRUE(a.ok() && b.ok());
    if (a.ok() && b.ok()) {
      EXPECT_EQ(a.value(), b.value());
    }
  }());
}

TEST_F(QueueTest, FailuresBackOffThenDeadLetter) {
  Queue q(*tdb->db, "test-worker");
  int runs = 0;
  q.handle("flaky", [&](const nlohmann::json&) -> Task<Status> {
    ++runs;
    co_return Error::of(ErrorCode::ServiceUnavailable, "upstream down");
  });
  tdb->run([&]() -> Task<void> {
    const nlohmann::json empty = nlohmann::json::object();
    auto id = co_await q.enqueue("flaky", empty);
    EXPECT_TRUE(id.ok());
    const std::string sid = std::to_string(id.value());
    constexpr db::Query kLimit{"test_job_limit", "UPDATE jobs SET max_attempts = 2 WHERE id = $1"};
    db::Params lp{sid};
    co_await tdb->db->query(kLimit, std::move(lp));

    EXPECT_TRUE(co_await q.run_once());
    db::Params p1{sid};
    auto after1 = co_await tdb->db->query(kJob, std::move(p1));
    EXPECT_EQ(after1->get(0, "status"), "queued");
    EXPECT_TRUE(after1->boolean(0, "delayed"));  // backed off into the future
    EXPECT_EQ(after1->get(0, "last_error"), "upstream down");
    EXPECT_FALSE(co_await q.run_once());  // not due yet

    db::Params due{sid};
    co_await tdb->db->query(kMakeDue, std::move(due));
    EXPECT_TRUE(co_await q.run_once());
    db::Params p2{sid};
    auto after2 = co_await tdb->db->query(kJob, std::move(p2));
    EXPECT_EQ(after2->get(0, "status"), "dead");
    EXPECT_EQ(after2->integer(0, "attempts"), 2);
  }());
  EXPECT_EQ(runs, 2);
}

TEST_F(QueueTest, UnknownKindFailsInsteadOfVanishing) {
  Queue q(*tdb->db, "test-worker");
  tdb->run([&]() -> Task<void> {
    const nlohmann::json empty = nlohmann::json::object();
    auto id = co_await q.enqueue("nobody-handles-this", empty);
    EXPECT_TRUE(co_await q.run_once());
    db::Params p{std::to_string(id.value())};
    auto row = co_await tdb->db->query(kJob, std::move(p));
    EXPECT_EQ(row->get(0, "status"), "queued");
    EXPECT_NE(std::string(row->get(0, "last_error")).find("no handler"), std::string::npos);
  }());
}

}  // namespace
}  // namespace tg::jobs
