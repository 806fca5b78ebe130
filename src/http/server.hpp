#pragma once
#include <atomic>
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
  void stop_accepting();
  int in_flight() const { return in_flight_.load(); }
  void set_draining() { draining_.store(true); }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::atomic<int> in_flight_{0};
  std::atomic<bool> draining_{false};
};

}  // namespace tg::http
