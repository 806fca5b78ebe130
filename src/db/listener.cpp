#include "db/listener.hpp"

#include <libpq-fe.h>
#include <unistd.h>

#include <memory>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include "core/log.hpp"

namespace tg::db {
namespace {
// Owned, so a connection is closed however the coroutine ends: also when the server stops while the listener waits
// (the frame is destroyed at the wait) or before the opener's answer is delivered (LeakSanitizer found both).
struct PgConnCloser {
  void operator()(PGconn* c) const {
    if (c) PQfinish(c);
  }
};
using PgConnPtr = std::unique_ptr<PGconn, PgConnCloser>;
}  // namespace

Listener::Listener(std::string conninfo, std::string channel, std::function<void(const std::string&)> on_notify,
                   asio::thread_pool& blocking)
    : conninfo_(std::move(conninfo)),
      channel_(std::move(channel)),
      on_notify_(std::move(on_notify)),
      blocking_(blocking) {}

Task<void> Listener::run(const std::atomic<bool>& stop) {
  auto ex = co_await asio::this_coro::executor;
  asio::steady_timer timer(ex);
  int backoff_ms = 250;
  while (!stop.load()) {
    const std::string conninfo = conninfo_;
    const std::string listen = "LISTEN " + channel_;
    // Connecting and LISTEN block briefly: done on the blocking pool, never on the I/O thread.
    auto opener = [conninfo, listen]() -> PgConnPtr {
      PgConnPtr c(PQconnectdb(conninfo.c_str()));
      if (PQstatus(c.get()) != CONNECTION_OK) return nullptr;
      PGresult* r = PQexec(c.get(), listen.c_str());
      const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
      PQclear(r);
      if (!ok || PQsetnonblocking(c.get(), 1) != 0) return nullptr;
      return c;
    };
    PgConnPtr conn = co_await run_blocking<PgConnPtr>(blocking_, opener);
    if (!conn) {
      timer.expires_after(std::chrono::milliseconds(backoff_ms));
      boost::system::error_code ec;
      co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      backoff_ms = std::min(backoff_ms * 2, 5000);
      continue;
    }
    backoff_ms = 250;
    connected_ = true;
    on_notify_("*");  // anything cached before this connection may have missed a notification
    asio::posix::stream_descriptor sd(ex, ::dup(PQsocket(conn.get())));
    while (!stop.load()) {
      boost::system::error_code ec;
      co_await sd.async_wait(asio::posix::stream_descriptor::wait_read, asio::redirect_error(asio::use_awaitable, ec));
      if (ec || PQconsumeInput(conn.get()) == 0) break;
      while (PGnotify* n = PQnotifies(conn.get())) {
        const std::string payload = n->extra ? n->extra : "";
        PQfreemem(n);
        on_notify_(payload);
      }
      if (PQstatus(conn.get()) != CONNECTION_OK) break;
    }
    connected_ = false;
    sd.close();
    conn.reset();
    if (!stop.load()) {
      log::warn("notification listener lost its connection; reconnecting", {{"channel", channel_}});
      on_notify_("*");
    }
  }
}

}  // namespace tg::db
