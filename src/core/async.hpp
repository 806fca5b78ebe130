#pragma once
// Boost 1.74's awaitable.hpp uses std::exchange without including <utility>: it must come first.
#include <utility>

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <memory>
#include <vector>

namespace tg {

namespace asio = boost::asio;
template <class T = void>
using Task = asio::awaitable<T>;

// Index of the I/O thread running the caller (each thread owns one io_context); 0 on the main thread.
int worker_index();
void set_worker_index(int i);

// One object per I/O thread, so per-connection state (DB pools, Redis connections) needs no locks.
template <class T>
class PerWorker {
 public:
  void add(std::unique_ptr<T> v) { items_.push_back(std::move(v)); }
  T& local() { return *items_[static_cast<std::size_t>(worker_index()) % items_.size()]; }
  std::vector<std::unique_ptr<T>>& all() { return items_; }
  bool empty() const { return items_.empty(); }

 private:
  std::vector<std::unique_ptr<T>> items_;
};

// One-shot wake-up for a coroutine waiting on work finished elsewhere on the same io_context.
// Boost 1.74 has no channels; a timer that is cancelled is the cheapest equivalent.
class Signal {
 public:
  explicit Signal(const asio::any_io_executor& ex) : timer_(ex, asio::steady_timer::time_point::max()) {}
  void notify() {
    fired_ = true;
    timer_.cancel();
  }
  bool fired() const { return fired_; }
  // True when notified, false when the timeout passed first.
  Task<bool> wait(std::chrono::steady_clock::duration timeout) {
    if (fired_) co_return true;
    timer_.expires_after(timeout);
    boost::system::error_code ec;
    co_await timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    co_return fired_;
  }

 private:
  asio::steady_timer timer_;
  bool fired_ = false;
};

// Runs CPU-heavy work (argon2id) on a separate pool so it never stalls an I/O thread, then resumes the caller on
// its own executor. Deliberately not a coroutine itself: GCC 12 destroys a coroutine parameter twice when a
// lambda init-captures it by move.
template <class T, class Pool, class F>
Task<T> run_blocking(Pool& pool, F fn) {
  return asio::async_initiate<decltype(asio::use_awaitable), void(T)>(
      [&pool](auto handler, F f) {
        auto ex = asio::get_associated_executor(handler);
        asio::post(pool, [handler = std::move(handler), ex, f = std::move(f)]() mutable {
          T result = f();
          asio::post(
              ex, [handler = std::move(handler), result = std::move(result)]() mutable { handler(std::move(result)); });
        });
      },
      asio::use_awaitable, std::move(fn));
}

}  // namespace tg
