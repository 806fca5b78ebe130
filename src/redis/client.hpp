#pragma once
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/async.hpp"
#include "core/error.hpp"

struct redisReader;

namespace tg::redis {

struct Reply {
  enum class Type { nil, integer, string, status, error, array } type = Type::nil;
  std::int64_t integer = 0;
  std::string str;
  std::vector<Reply> elements;
};

struct Endpoint {
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  std::string password;
  int db = 0;
};
Result<Endpoint> parse_url(const std::string& url);

// One pipelined connection on one io_context (one per I/O thread). Commands time out after `timeout` (the
// limiter's 50 ms budget); a broken connection fails every pending command at once and is re-dialled lazily,
// at most once a second, so a dead Redis costs callers nothing but the fallback.
class Client {
 public:
  Client(asio::any_io_executor ex, Endpoint ep, std::chrono::milliseconds timeout);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  Task<Result<Reply>> command(std::vector<std::string> args);
  // EVALSHA of `script` (its SHA-1 computed once per script text), falling back to EVAL when Redis does not know
  // it yet. `keys_and_args` is what follows the script in EVAL: numkeys, keys, args.
  Task<Result<Reply>> eval(const char* script, const std::vector<std::string>& keys_and_args);
  bool connected() const { return state_ == State::connected; }
  // Fails pending commands and closes the socket (shutdown, tests).
  void close() { fail_all(); }

 private:
  enum class State { disconnected, connecting, connected };
  struct Slot {
    explicit Slot(const asio::any_io_executor& ex) : signal(ex) {}
    Signal signal;
    std::optional<Reply> reply;
  };
  Task<void> connect();
  Task<void> read_loop(std::uint64_t generation);
  Task<void> write_loop(std::uint64_t generation);
  void fail_all();
  void enqueue(const std::vector<std::string>& args, std::shared_ptr<Slot> slot);

  asio::any_io_executor ex_;
  Endpoint ep_;
  std::chrono::milliseconds timeout_;
  asio::ip::tcp::socket socket_;
  // Atomic only so /metrics may read it from another thread; all writes happen on this client's thread.
  std::atomic<State> state_{State::disconnected};
  std::uint64_t generation_ = 0;
  std::chrono::steady_clock::time_point next_dial_{};
  std::deque<std::shared_ptr<Slot>> pending_;
  std::string outbox_;
  bool writing_ = false;
  redisReader* reader_ = nullptr;
};

}  // namespace tg::redis
