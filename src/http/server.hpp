#pragma once
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/async.hpp"
#include "core/config.hpp"
#include "http/pipeline.hpp"

namespace boost::asio {
class io_context;
}

namespace tg::http {

// The Beast transport. One acceptor per I/O thread on the same port (SO_REUSEPORT): the kernel spreads
// connections and each connection lives on one thread, so nothing on the request path needs a lock.
class Server {
 public:
  Server(const Config& cfg, Pipeline& pipeline);
  ~Server();
  // Binds on every context; returns the bound port (useful with PORT=0).
  Result<std::uint16_t> listen(const std::vector<asio::io_context*>& contexts);
  // Graceful stop: accepts what is already queued on the listening sockets, then closes them; answers from now
  // on carry `Connection: close`; a connection waiting for its next request gets `linger` for it (a request
  // already sent is served), then closes. Thread-safe.
  void drain(std::chrono::milliseconds linger);
  int in_flight() const { return in_flight_.load(); }
  // Connections still open (shutdown waits for 0, bounded by SHUTDOWN_GRACE).
  int open_connections() const { return open_.load(); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<int> in_flight_{0};
  std::atomic<int> open_{0};
  std::atomic<bool> draining_{false};
  std::atomic<long long> linger_ms_{300};
};

}  // namespace tg::http
