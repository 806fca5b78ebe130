#pragma once
#include <atomic>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "db/db.hpp"

namespace tg::jobs {

// The payload as enqueued, plus `jobId` (the job's id, for idempotency keys of external side effects).
using JobHandler = std::function<Task<Status>(const nlohmann::json& payload)>;

struct Job {
  std::int64_t id = 0;
  std::string kind;
  nlohmann::json payload;
  int attempts = 0;
  int max_attempts = 0;
};

// Exponential back-off with a cap: 2^attempts seconds, at most an hour.
std::chrono::seconds backoff(int attempts);

// Durable queue on the `jobs` table: FOR UPDATE SKIP LOCKED lets any number of workers and instances share it;
// a job whose handler fails is retried with back-off and dead-lettered after max_attempts. Side effects in
// handlers must be idempotent (the job id is the natural idempotency key) since a crash can repeat a job.
class Queue {
 public:
  Queue(db::Database& db, std::string worker_name);
  void handle(const std::string& kind, JobHandler handler);
  // Enqueue; with an idempotency key a second enqueue returns the first job's id.
  Task<Result<std::int64_t>> enqueue(const std::string& kind, const nlohmann::json& payload,
                                     std::optional<std::string> idempotency_key = std::nullopt,
                                     std::chrono::seconds delay = std::chrono::seconds(0));
  // Takes and runs one job; false when none was due.
  Task<bool> run_once();
  // Poll until stop is set.
  Task<void> run(const std::atomic<bool>& stop);
  Task<void> refresh_depth();
  // Jobs this process is running now (shutdown waits for them to record their outcome).
  int running() const { return running_.load(); }

 private:
  std::atomic<int> running_{0};
  db::Database& db_;
  std::string worker_;
  std::map<std::string, JobHandler> handlers_;
};

}  // namespace tg::jobs
