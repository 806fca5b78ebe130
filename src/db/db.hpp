#pragma once
#include <libpq-fe.h>

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/async.hpp"
#include "core/error.hpp"
#include "core/metrics.hpp"

namespace tg::db {

// A named, parameterized statement. Repositories declare these as constants next to their code; the name labels
// the per-query duration metric and the server-side prepared statement.
struct Query {
  const char* name;
  const char* sql;
};

using Param = std::optional<std::string>;
using Params = std::vector<Param>;

class Rows {
 public:
  Rows() = default;
  explicit Rows(PGresult* r) : res_(r, &PQclear) {}
  int size() const { return res_ ? PQntuples(res_.get()) : 0; }
  bool empty() const { return size() == 0; }
  int affected() const;
  int column(const char* name) const { return res_ ? PQfnumber(res_.get(), name) : -1; }
  bool is_null(int row, int col) const { return PQgetisnull(res_.get(), row, col) != 0; }
  std::string_view get(int row, int col) const {
    return {PQgetvalue(res_.get(), row, col), static_cast<std::size_t>(PQgetlength(res_.get(), row, col))};
  }
  std::string_view get(int row, const char* name) const { return get(row, column(name)); }
  std::optional<std::string> opt(int row, const char* name) const;
  std::int64_t integer(int row, const char* name) const;
  bool boolean(int row, const char* name) const { return get(row, name) == "t"; }

 private:
  std::shared_ptr<PGresult> res_;
};

// SQLSTATE → typed error, done once here.
Error map_error(const PGresult* res, const PGconn* conn);

struct PoolStats {
  int size = 0;
  int in_use = 0;
  int waiting = 0;
};

class Pool;

class Connection {
 public:
  // `prepare`: named server-side prepared statements (false behind a transaction pooler, where the next
  // transaction may run on another server connection that never saw the PREPARE).
  Connection(asio::any_io_executor ex, PGconn* conn, bool prepare = true);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  Task<Result<Rows>> query(const Query& q, const Params& params, std::chrono::steady_clock::time_point deadline);
  // COPY … FROM STDIN (text format) with `data` as the whole input; one round trip for a batch of rows.
  Task<Result<Rows>> copy_in(const char* copy_sql, std::string_view data,
                             std::chrono::steady_clock::time_point deadline);
  // Simple protocol, several statements at once (migrations). No parameters.
  Task<Result<Rows>> exec_script(std::string_view sql, std::chrono::steady_clock::time_point deadline);
  bool broken() const { return broken_; }
  bool idle_in_transaction() const { return PQtransactionStatus(conn_) != PQTRANS_IDLE; }

 private:
  Task<Result<Rows>> collect(std::chrono::steady_clock::time_point deadline, const char* name);
  // Sends what libpq has buffered (non-blocking mode), waiting for the socket as needed.
  Task<Status> flush(std::chrono::steady_clock::time_point deadline);
  Task<bool> wait(bool write, std::chrono::steady_clock::time_point deadline);
  PGconn* conn_;
  asio::posix::stream_descriptor sd_;
  std::set<std::string> prepared_;
  bool prepare_ = true;
  bool broken_ = false;
};

// Returned to its pool when destroyed; a connection in a transaction or broken is closed instead of reused.
class Lease {
 public:
  Lease() = default;
  Lease(Pool* pool, std::unique_ptr<Connection> c) : pool_(pool), conn_(std::move(c)) {}
  Lease(Lease&&) noexcept = default;
  Lease& operator=(Lease&&) noexcept;
  ~Lease();
  Connection* operator->() { return conn_.get(); }
  Connection& operator*() { return *conn_; }

 private:
  void release();
  Pool* pool_ = nullptr;
  std::unique_ptr<Connection> conn_;
};

struct PoolOptions {
  std::string conninfo;
  int size = 4;
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds statement_timeout{5000};
  bool transaction_pooling = false;  // DB_TRANSACTION_POOLING
};

// One pool per I/O thread. When PostgreSQL is away, acquire() fails fast (503) instead of queueing: a dial that
// failed opens a short back-off during which callers get the error at once; the next caller after it re-dials.
class Pool {
 public:
  Pool(asio::any_io_executor ex, PoolOptions opts);
  Task<Result<Lease>> acquire(std::chrono::steady_clock::time_point deadline);
  void give_back(std::unique_ptr<Connection> c);
  PoolStats stats() const { return {total_.load(), in_use_.load(), waiting_.load()}; }
  const PoolOptions& options() const { return opts_; }

 private:
  Task<Result<std::unique_ptr<Connection>>> dial(std::chrono::steady_clock::time_point deadline);
  asio::any_io_executor ex_;
  PoolOptions opts_;
  std::deque<std::unique_ptr<Connection>> idle_;
  std::deque<std::shared_ptr<Signal>> waiters_;
  // Atomic only so /metrics may read them from another thread; all writes happen on this pool's thread.
  std::atomic<int> total_{0};
  std::atomic<int> in_use_{0};
  std::atomic<int> waiting_{0};
  std::chrono::steady_clock::time_point down_until_{};
  std::chrono::steady_clock::time_point next_dial_log_{};
  Error last_error_;
};

class Transaction;

// The facade handlers use: per-thread pools behind one object.
class Database {
 public:
  explicit Database(PoolOptions opts) : opts_(std::move(opts)) {}
  void add_worker(asio::any_io_executor ex);
  Task<Result<Rows>> query(const Query& q, Params params = {});
  Task<Result<Transaction>> begin();
  Task<Result<Lease>> lease(std::chrono::milliseconds timeout);
  PoolStats stats() const;
  void register_metrics();
  const PoolOptions& options() const { return opts_; }

 private:
  PoolOptions opts_;
  PerWorker<Pool> pools_;
};

class Transaction {
 public:
  Transaction(Lease lease, std::chrono::milliseconds timeout) : lease_(std::move(lease)), timeout_(timeout) {}
  Task<Result<Rows>> query(const Query& q, Params params = {});
  Task<Result<Rows>> copy_in(const char* copy_sql, std::string_view data);
  Task<Status> commit();
  Task<Status> rollback();

 private:
  Lease lease_;
  std::chrono::milliseconds timeout_;
};

void observe_query(const char* name, double seconds, bool ok);

}  // namespace tg::db
