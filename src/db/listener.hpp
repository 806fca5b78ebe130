#pragma once
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <string>

#include "core/async.hpp"

namespace tg::db {

// A dedicated PostgreSQL connection that LISTENs on one channel and hands every NOTIFY payload to `on_notify`.
// When the connection is lost, `on_notify("*")` is called (notifications may have been missed: callers drop their
// caches) and it reconnects with back-off.
class Listener {
 public:
  Listener(std::string conninfo, std::string channel, std::function<void(const std::string&)> on_notify,
           asio::thread_pool& blocking);
  Task<void> run(const std::atomic<bool>& stop);
  bool connected() const { return connected_.load(); }

 private:
  std::string conninfo_, channel_;
  std::function<void(const std::string&)> on_notify_;
  asio::thread_pool& blocking_;
  std::atomic<bool> connected_{false};
};

}  // namespace tg::db
