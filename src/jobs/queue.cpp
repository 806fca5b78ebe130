#include "jobs/queue.hpp"

#include <boost/asio/this_coro.hpp>

#include "core/log.hpp"
#include "core/metrics.hpp"

namespace tg::jobs {
namespace {
constexpr db::Query kEnqueue{"jobs_enqueue",
                             "INSERT INTO jobs (kind, payload, idempotency_key, run_at) "
                             "VALUES ($1, $2::jsonb, $3, now() + make_interval(secs => $4::int)) "
                             "ON CONFLICT (idempotency_key) DO UPDATE SET idempotency_key = EXCLUDED.idempotency_key "
                             "RETURNING id"};
constexpr db::Query kDequeue{
    "jobs_dequeue",
    "UPDATE jobs SET status = 'running', locked_at = now(), locked_by = $1, attempts = attempts + 1 "
    "WHERE id = (SELECT id FROM jobs WHERE status = 'queued' AND run_at <= now() "
    "ORDER BY run_at LIMIT 1 FOR UPDATE SKIP LOCKED) "
    "RETURNING id, kind, payload::text AS payload, attempts, max_attempts"};
constexpr db::Query kDone{"jobs_done",
                          "UPDATE jobs SET status = 'done', finished_at = now(), locked_at = NULL, locked_by = NULL, "
                          "last_error = NULL WHERE id = $1"};
constexpr db::Query kRetry{
    "jobs_retry",
    "UPDATE jobs SET status = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END, "
    "run_at = now() + make_interval(secs => $2::int), last_error = left($3, 2000), locked_at = NULL, "
    "locked_by = NULL, finished_at = CASE WHEN attempts >= max_attempts THEN now() END "
    "WHERE id = $1 RETURNING status"};
// A worker that died mid-job leaves it 'running'; after 5 minutes it is handed out again.
constexpr db::Query kReap{"jobs_reap",
                          "UPDATE jobs SET status = 'queued', locked_at = NULL, locked_by = NULL "
                          "WHERE status = 'running' AND locked_at < now() - interval '5 minutes'"};
constexpr db::Query kDepth{"jobs_depth", "SELECT status, count(*) AS n FROM jobs GROUP BY status"};

metrics::Counter& outcome(const std::string& kind, const char* result) {
  return metrics::registry().counter("tollgate_jobs_processed_total", "Jobs run, by kind and result",
                                     {{"kind", kind}, {"result", result}});
}
}  // namespace

std::chrono::seconds backoff(int attempts) {
  int a = std::clamp(attempts, 0, 12);
  return std::chrono::seconds(std::min(3600, 1 << a));
}

Queue::Queue(db::Database& db, std::string worker_name) : db_(db), worker_(std::move(worker_name)) {}

void Queue::handle(const std::string& kind, JobHandler handler) {
  handlers_[kind] = std::move(handler);
}

Task<Result<std::int64_t>> Queue::enqueue(const std::string& kind, const nlohmann::json& payload,
                                          std::optional<std::string> key, std::chrono::seconds delay) {
  db::Params params{kind, payload.dump(), key, std::to_string(delay.count())};  // named: GCC 12 coroutine bug
  auto r = co_await db_.query(kEnqueue, std::move(params));
  if (!r) co_return r.error();
  co_return r->integer(0, "id");
}

Task<bool> Queue::run_once() {
  db::Params params{worker_};
  auto r = co_await db_.query(kDequeue, std::move(params));
  if (!r || r->empty()) co_return false;
  struct Busy {
    std::atomic<int>& n;
    explicit Busy(std::atomic<int>& c) : n(c) { ++n; }
    ~Busy() { --n; }
  } busy(running_);
  Job job{r->integer(0, "id"), std::string(r->get(0, "kind")),
          nlohmann::json::parse(r->get(0, "payload"), nullptr, false), static_cast<int>(r->integer(0, "attempts")),
          static_cast<int>(r->integer(0, "max_attempts"))};
  Status result = Error::of(ErrorCode::Internal, "no handler for job kind '" + job.kind + "'");
  // Handlers derive idempotency keys for external side effects from the job id: a retry of this job repeats
  // them safely, a new job is a new intent.
  if (job.payload.is_object()) job.payload["jobId"] = job.id;
  if (auto it = handlers_.find(job.kind); it != handlers_.end()) {
    try {
      result = co_await it->second(job.payload);
    } catch (const std::exception& e) {
      result = Error::of(ErrorCode::Internal, std::string("handler threw: ") + e.what());
    }
  }
  if (result) {
    db::Params done{std::to_string(job.id)};
    co_await db_.query(kDone, std::move(done));
    outcome(job.kind, "done").inc();
    co_return true;
  }
  std::string why = result.error().detail;  // (no ?: with std::string in coroutines: GCC 12 bug)
  if (why.empty()) why = result.error().cause;
  db::Params retry{std::to_string(job.id), std::to_string(backoff(job.attempts).count()), why};
  auto st = co_await db_.query(kRetry, std::move(retry));
  bool dead = st && !st->empty() && st->get(0, "status") == "dead";
  outcome(job.kind, dead ? "dead" : "retry").inc();
  log::write(dead ? log::Level::error : log::Level::warn, dead ? "job dead-lettered" : "job failed, will retry",
             {{"jobId", job.id}, {"kind", job.kind}, {"attempts", job.attempts}, {"error", why}});
  co_return true;
}

Task<void> Queue::refresh_depth() {
  auto r = co_await db_.query(kDepth);
  if (!r) co_return;
  for (const char* s : {"queued", "running", "done", "dead"}) {
    std::int64_t n = 0;
    for (int i = 0; i < r->size(); ++i) {
      if (r->get(i, "status") == s) n = r->integer(i, "n");
    }
    metrics::registry().gauge("tollgate_jobs", "Jobs in the queue by status", {{"status", s}}).set(n);
  }
}

Task<void> Queue::run(const std::atomic<bool>& stop) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  auto last_maintenance = std::chrono::steady_clock::time_point{};
  while (!stop.load()) {
    if (std::chrono::steady_clock::now() - last_maintenance > std::chrono::seconds(10)) {
      last_maintenance = std::chrono::steady_clock::now();
      co_await db_.query(kReap);
      co_await refresh_depth();
    }
    bool worked = co_await run_once();
    if (!worked) {
      timer.expires_after(std::chrono::milliseconds(500));
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    }
  }
}

}  // namespace tg::jobs
