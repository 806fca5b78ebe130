#include "db/db.hpp"

#include <charconv>
#include <cstring>

#include "core/log.hpp"

namespace tg::db {

using Clock = std::chrono::steady_clock;

int Rows::affected() const {
  if (!res_) return 0;
  const char* n = PQcmdTuples(res_.get());
  int v = 0;
  std::from_chars(n, n + std::strlen(n), v);
  return v;
}

std::optional<std::string> Rows::opt(int row, const char* name) const {
  int c = column(name);
  if (c < 0 || is_null(row, c)) return std::nullopt;
  return std::string(get(row, c));
}

std::int64_t Rows::integer(int row, const char* name) const {
  auto v = get(row, name);
  std::int64_t out = 0;
  std::from_chars(v.data(), v.data() + v.size(), out);
  return out;
}

Error map_error(const PGresult* res, const PGconn* conn) {
  std::string state =
      res ? (PQresultErrorField(res, PG_DIAG_SQLSTATE) ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : "") : "";
  std::string msg = res ? PQresultErrorMessage(res) : (conn ? PQerrorMessage(conn) : "no connection");
  const char* constraint = res ? PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME) : nullptr;
  Error e;
  if (state == "23505")
    e = Error::of(ErrorCode::Conflict, "The resource already exists.");
  else if (state == "23503")
    e = Error::of(ErrorCode::Conflict, "A referenced resource does not exist or is still in use.");
  else if (state == "40001" || state == "40P01")
    e = Error::of(ErrorCode::Conflict, "Concurrent update; retry the request.");
  else if (state.rfind("22", 0) == 0 || state == "23502" || state == "23514")
    e = Error::of(ErrorCode::ValidationFailed, "A value is out of range or invalid.");
  else if (state == "57014")
    e = Error::of(ErrorCode::ServiceUnavailable, "The database took too long to answer.");
  else if (state.rfind("08", 0) == 0 || state == "57P01" || state == "57P02" || state == "57P03" || state.empty())
    e = Error::of(ErrorCode::ServiceUnavailable, "The database is unavailable.");
  else
    e = Error::of(ErrorCode::Internal);
  e.cause = "sqlstate=" + state + (constraint ? std::string(" constraint=") + constraint : "") + " " + msg;
  while (!e.cause.empty() && (e.cause.back() == '\n' || e.cause.back() == ' ')) e.cause.pop_back();
  return e;
}

void observe_query(const char* name, double seconds, bool ok) {
  // Cache per name: the registry lookup takes a lock.
  static thread_local std::map<const char*, metrics::Histogram*> cache;
  auto& h = cache[name];
  if (!h) {
    h = &metrics::registry().histogram("tollgate_db_query_duration_seconds", "PostgreSQL query duration by named query",
                                       {{"query", name}});
  }
  h->observe(seconds);
  if (!ok) {
    static thread_local std::map<const char*, metrics::Counter*> errs;
    auto& c = errs[name];
    if (!c)
      c = &metrics::registry().counter("tollgate_db_query_errors_total", "Failed queries by named query",
                                       {{"query", name}});
    c->inc();
  }
}

Connection::Connection(asio::any_io_executor ex, PGconn* conn, bool prepare)
    : conn_(conn), sd_(ex, PQsocket(conn)), prepare_(prepare) {}

Connection::~Connection() {
  // libpq owns the socket: hand it back before PQfinish closes it.
  boost::system::error_code ec;
  sd_.cancel(ec);
  sd_.release();
  PQfinish(conn_);
}

namespace {
struct WaitState {
  bool done = false;
  bool timed_out = false;
};

Task<bool> wait_on(asio::posix::stream_descriptor& sd, bool write, Clock::time_point deadline) {
  auto st = std::make_shared<WaitState>();
  asio::steady_timer timer(sd.get_executor());
  timer.expires_at(deadline);
  timer.async_wait([st, &sd](boost::system::error_code ec) {
    if (!ec && !st->done) {
      st->timed_out = true;
      boost::system::error_code ignore;
      sd.cancel(ignore);
    }
  });
  boost::system::error_code ec;
  co_await sd.async_wait(write ? asio::posix::stream_descriptor::wait_write : asio::posix::stream_descriptor::wait_read,
                         asio::redirect_error(asio::use_awaitable, ec));
  st->done = true;
  timer.cancel();
  co_return !st->timed_out && !ec;
}
}  // namespace

Task<bool> Connection::wait(bool write, Clock::time_point deadline) {
  return wait_on(sd_, write, deadline);
}

Task<Status> Connection::flush(Clock::time_point deadline) {
  while (true) {
    int f = PQflush(conn_);
    if (f == 0) co_return ok_status();
    if (f < 0 || !co_await wait(true, deadline)) {
      broken_ = true;
      co_return map_error(nullptr, conn_);
    }
  }
}

Task<Result<Rows>> Connection::collect(Clock::time_point deadline, const char* name) {
  // Flush the outgoing query, then read until libpq has every result.
  if (auto flushed = co_await flush(deadline); !flushed) co_return flushed.error();
  Rows last;
  std::optional<Error> err;
  while (true) {
    while (PQisBusy(conn_)) {
      if (!co_await wait(false, deadline)) {
        broken_ = true;  // timed out or socket error: the connection state is unknown now
        Error e = Error::of(ErrorCode::ServiceUnavailable, "The database took too long to answer.");
        e.cause = std::string("query ") + name + " deadline exceeded";
        co_return e;
      }
      if (!PQconsumeInput(conn_)) {
        broken_ = true;
        co_return map_error(nullptr, conn_);
      }
    }
    PGresult* r = PQgetResult(conn_);
    if (!r) break;
    auto st = PQresultStatus(r);
    if (st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE || st == PGRES_NONFATAL_ERROR) {
      if (!err) err = map_error(r, conn_);
      PQclear(r);
    } else {
      last = Rows(r);
    }
  }
  if (PQstatus(conn_) != CONNECTION_OK) broken_ = true;
  if (err) co_return *err;
  co_return last;
}

Task<Result<Rows>> Connection::query(const Query& q, const Params& params, Clock::time_point deadline) {
  if (prepare_ && !prepared_.count(q.name)) {
    if (!PQsendPrepare(conn_, q.name, q.sql, 0, nullptr)) {
      broken_ = true;
      co_return map_error(nullptr, conn_);
    }
    auto prep = co_await collect(deadline, q.name);
    if (!prep) co_return prep.error();
    prepared_.insert(q.name);
  }
  std::vector<const char*> values;
  std::vector<int> lengths;
  values.reserve(params.size());
  for (const auto& p : params) {
    values.push_back(p ? p->c_str() : nullptr);
    lengths.push_back(p ? static_cast<int>(p->size()) : 0);
  }
  const int sent = prepare_ ? PQsendQueryPrepared(conn_, q.name, static_cast<int>(values.size()), values.data(),
                                                  lengths.data(), nullptr, 0)
                            : PQsendQueryParams(conn_, q.sql, static_cast<int>(values.size()), nullptr, values.data(),
                                                lengths.data(), nullptr, 0);
  if (!sent) {
    broken_ = true;
    co_return map_error(nullptr, conn_);
  }
  co_return co_await collect(deadline, q.name);
}

Task<Result<Rows>> Connection::copy_in(const char* copy_sql, std::string_view data, Clock::time_point deadline) {
  if (!PQsendQuery(conn_, copy_sql)) {
    broken_ = true;
    co_return map_error(nullptr, conn_);
  }
  // The first result is PGRES_COPY_IN once the server accepts the statement; anything else is its error.
  if (auto flushed = co_await flush(deadline); !flushed) co_return flushed.error();
  while (PQisBusy(conn_)) {
    if (!co_await wait(false, deadline) || !PQconsumeInput(conn_)) {
      broken_ = true;
      co_return Error::of(ErrorCode::ServiceUnavailable, "The database took too long to answer.");
    }
  }
  PGresult* first = PQgetResult(conn_);
  if (!first || PQresultStatus(first) != PGRES_COPY_IN) {
    Error e = first ? map_error(first, conn_) : map_error(nullptr, conn_);
    if (first) PQclear(first);
    while (PGresult* rest = PQgetResult(conn_)) PQclear(rest);
    co_return e;
  }
  PQclear(first);
  constexpr std::size_t kChunk = 256 * 1024;
  std::size_t off = 0;
  while (off < data.size()) {
    const std::size_t n = std::min(kChunk, data.size() - off);
    const int rc = PQputCopyData(conn_, data.data() + off, static_cast<int>(n));
    if (rc == 1) {
      off += n;
      continue;
    }
    // 0: libpq's buffer is full (non-blocking mode): wait until the socket drains.
    if (rc < 0 || !co_await wait(true, deadline) || PQflush(conn_) < 0) {
      broken_ = true;
      co_return map_error(nullptr, conn_);
    }
  }
  while (true) {
    const int rc = PQputCopyEnd(conn_, nullptr);
    if (rc == 1) break;
    if (rc < 0 || !co_await wait(true, deadline)) {
      broken_ = true;
      co_return map_error(nullptr, conn_);
    }
  }
  co_return co_await collect(deadline, "copy");
}

Task<Result<Rows>> Connection::exec_script(std::string_view sql, Clock::time_point deadline) {
  std::string s(sql);
  if (!PQsendQuery(conn_, s.c_str())) {
    broken_ = true;
    co_return map_error(nullptr, conn_);
  }
  co_return co_await collect(deadline, "script");
}

Lease& Lease::operator=(Lease&& o) noexcept {
  if (this != &o) {
    release();
    pool_ = o.pool_;
    conn_ = std::move(o.conn_);
    o.pool_ = nullptr;
  }
  return *this;
}

Lease::~Lease() {
  release();
}

void Lease::release() {
  if (pool_ && conn_) pool_->give_back(std::move(conn_));
  pool_ = nullptr;
}

Pool::Pool(asio::any_io_executor ex, PoolOptions opts) : ex_(std::move(ex)), opts_(std::move(opts)) {}

Task<Result<std::unique_ptr<Connection>>> Pool::dial(Clock::time_point deadline) {
  std::string timeout_opt = "-c statement_timeout=" + std::to_string(opts_.statement_timeout.count());
  // PgBouncer refuses the `options` startup parameter: behind it the timeout comes from the role's settings.
  const char* keys[] = {"dbname", "application_name", "options", nullptr};
  const char* vals[] = {opts_.conninfo.c_str(), "tollgate", timeout_opt.c_str(), nullptr};
  if (opts_.transaction_pooling) keys[2] = nullptr;
  PGconn* conn = PQconnectStartParams(keys, vals, /*expand_dbname=*/1);
  if (!conn) co_return Error::of(ErrorCode::ServiceUnavailable, "The database is unavailable.");
  auto fail = [&](const char* why) {
    Error e = Error::of(ErrorCode::ServiceUnavailable, "The database is unavailable.");
    e.cause = std::string(why) + ": " + PQerrorMessage(conn);
    PQfinish(conn);
    return e;
  };
  if (PQstatus(conn) == CONNECTION_BAD) co_return fail("connect");
  auto poll = PGRES_POLLING_WRITING;
  while (poll != PGRES_POLLING_OK) {
    if (poll == PGRES_POLLING_FAILED) co_return fail("connect");
    // The socket can change while libpq tries addresses, so watch it afresh each round.
    asio::posix::stream_descriptor sd(ex_, PQsocket(conn));
    bool ready = co_await wait_on(sd, poll == PGRES_POLLING_WRITING, deadline);
    sd.release();
    if (!ready) co_return fail("connect timeout");
    poll = PQconnectPoll(conn);
  }
  if (PQsetnonblocking(conn, 1) != 0) co_return fail("nonblocking");
  // Server notices ("relation already exists, skipping") go to the debug log, not to stderr.
  PQsetNoticeProcessor(
      conn,
      [](void*, const char* message) {
        log::debug("postgres notice", {{"notice", std::string(message)}});
      },
      nullptr);
  co_return std::make_unique<Connection>(ex_, conn, !opts_.transaction_pooling);
}

Task<Result<Lease>> Pool::acquire(Clock::time_point deadline) {
  while (true) {
    while (!idle_.empty()) {
      auto c = std::move(idle_.front());
      idle_.pop_front();
      ++in_use_;
      co_return Lease(this, std::move(c));
    }
    if (total_ < opts_.size) {
      if (Clock::now() < down_until_) co_return last_error_;
      ++total_;
      ++in_use_;
      auto dial_deadline = std::min(deadline, Clock::now() + opts_.connect_timeout);
      auto c = co_await dial(dial_deadline);
      if (!c) {
        --total_;
        --in_use_;
        last_error_ = c.error();
        // A short back-off: callers meanwhile fail fast, and PostgreSQL coming back is noticed within 50 ms
        // (a longer one kept answering 503 for up to half a second after a restart).
        const auto now = Clock::now();
        down_until_ = now + std::chrono::milliseconds(50);
        static auto& dial_errors = metrics::registry().counter("tollgate_db_pool_errors_total",
                                                               "Failed attempts to open a database connection");
        dial_errors.inc();
        if (now >= next_dial_log_) {  // one line a second per pool, not one per attempt
          next_dial_log_ = now + std::chrono::seconds(1);
          log::warn("database connection failed", {{"cause", c.error().cause}});
        }
        co_return c.error();
      }
      co_return Lease(this, std::move(c.value()));
    }
    // Pool is full: wait for a connection to come back, bounded by the caller's deadline.
    auto sig = std::make_shared<Signal>(ex_);
    waiters_.push_back(sig);
    ++waiting_;
    bool woke = co_await sig->wait(deadline - Clock::now());
    --waiting_;
    if (!woke) {
      std::erase(waiters_, sig);
      co_return Error::of(ErrorCode::ServiceUnavailable, "All database connections are busy.");
    }
  }
}

void Pool::give_back(std::unique_ptr<Connection> c) {
  --in_use_;
  if (c->broken() || c->idle_in_transaction()) {
    --total_;
    if (c->broken()) {
      // One dead connection usually means the server went away: the idle ones are stale too.
      total_.fetch_sub(static_cast<int>(idle_.size()));
      idle_.clear();
    }
  } else {
    idle_.push_back(std::move(c));
  }
  if (!waiters_.empty()) {
    auto w = waiters_.front();
    waiters_.pop_front();
    w->notify();
  }
}

void Database::add_worker(asio::any_io_executor ex) {
  pools_.add(std::make_unique<Pool>(std::move(ex), opts_));
}

Task<Result<Lease>> Database::lease(std::chrono::milliseconds timeout) {
  co_return co_await pools_.local().acquire(Clock::now() + timeout);
}

Task<Result<Rows>> Database::query(const Query& q, Params params) {
  auto start = Clock::now();
  auto deadline = start + opts_.statement_timeout + std::chrono::milliseconds(500);
  auto lease = co_await pools_.local().acquire(std::min(deadline, start + opts_.connect_timeout));
  if (!lease) {
    observe_query(q.name, std::chrono::duration<double>(Clock::now() - start).count(), false);
    co_return lease.error();
  }
  auto r = co_await lease.value()->query(q, params, deadline);
  observe_query(q.name, std::chrono::duration<double>(Clock::now() - start).count(), r.ok());
  co_return r;
}

Task<Result<Transaction>> Database::begin() {
  auto leased = co_await lease(opts_.connect_timeout);
  if (!leased) co_return leased.error();
  static constexpr Query kBegin{"tx_begin", "BEGIN"};
  const Params none;
  auto r = co_await leased.value()->query(kBegin, none, Clock::now() + opts_.statement_timeout);
  if (!r) co_return r.error();
  co_return Transaction(std::move(leased.value()), opts_.statement_timeout + std::chrono::milliseconds(500));
}

PoolStats Database::stats() const {
  PoolStats s;
  auto& pools = const_cast<PerWorker<Pool>&>(pools_).all();
  for (auto& p : pools) {
    auto ps = p->stats();
    s.size += ps.size;
    s.in_use += ps.in_use;
    s.waiting += ps.waiting;
  }
  return s;
}

void Database::register_metrics() {
  metrics::registry().collector(
      "tollgate_db_pool_connections", "Database pool connections by state", "gauge", [this](std::string& out) {
        auto s = stats();
        out += "tollgate_db_pool_connections{state=\"open\"} " + std::to_string(s.size) + "\n";
        out += "tollgate_db_pool_connections{state=\"in_use\"} " + std::to_string(s.in_use) + "\n";
        out += "tollgate_db_pool_connections{state=\"waiting\"} " + std::to_string(s.waiting) + "\n";
        // The ceiling, so an alert can compare in_use with it (one pool of `size` per I/O thread).
        const auto max = static_cast<std::int64_t>(opts_.size) * static_cast<std::int64_t>(pools_.all().size());
        out += "tollgate_db_pool_connections{state=\"max\"} " + std::to_string(max) + "\n";
      });
}

Task<Result<Rows>> Transaction::query(const Query& q, Params params) {
  auto start = Clock::now();
  auto r = co_await lease_->query(q, params, start + timeout_);
  observe_query(q.name, std::chrono::duration<double>(Clock::now() - start).count(), r.ok());
  co_return r;
}

Task<Result<Rows>> Transaction::copy_in(const char* copy_sql, std::string_view data) {
  auto start = Clock::now();
  auto r = co_await lease_->copy_in(copy_sql, data, start + timeout_);
  observe_query("copy_in", std::chrono::duration<double>(Clock::now() - start).count(), r.ok());
  co_return r;
}

Task<Status> Transaction::commit() {
  static constexpr Query kCommit{"tx_commit", "COMMIT"};
  const Params none;
  auto r = co_await lease_->query(kCommit, none, Clock::now() + timeout_);
  if (!r) co_return r.error();
  co_return ok_status();
}

Task<Status> Transaction::rollback() {
  static constexpr Query kRollback{"tx_rollback", "ROLLBACK"};
  const Params none;
  auto r = co_await lease_->query(kRollback, none, Clock::now() + timeout_);
  if (!r) co_return r.error();
  co_return ok_status();
}

}  // namespace tg::db
