#include "db/listener.hpp"

#include <libpq-fe.h>
#include <unistd.h>

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include "core/log.hpp"

namespace tg::db {

Listener::Listener(std::string conninfo, std::string channel, std::function<void(const std::string&)> on_notify,
                   asio::thread_pool& blocking)
    : conninfo_(std::move(conninfo)), channel_(std::move(channel)), on_notify_(std::move(on_notify)),
      blocking_(blocking) {}

Task<void> Listener::run(const std::atomic<bool>& stop) {
  auto ex = co_await asio::this_coro::executor;
  asio::steady_timer timer(ex);
  int backoff_ms = 250;
  while (!stop.load()) {
    const std::string conninfo = conninfo_;
    const std::string listen = "LISTEN " + channel_;
    // Connecting and LISTEN block briefly: done on the blocking pool, never on the I/O thread.
    auto opener = [conninfo, listen]() -> PGconn* {
      PGconn* c = PQconnectdb(conninfo.c_str());
      if (PQstatus(c) != CONNECTION_OK) {
        PQfinish(c);
        return nullptr;
      }
      PGresult* r = PQexec(c, listen.c_str());
      const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
      PQclear(r);
      if (!ok || PQsetnonblocking(c, 1) != 0) {
        PQfinish(c);
        return nullptr;
      }
      return c;
    };
    PGconn* conn = co_await run_blocking<PGconn*>(blocking_, opener);
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
    asio::posix::stream_descriptor sd(ex, ::dup(PQsocket(conn)));
    while (!stop.load()) {
      boost::system::error_code ec;
      co_await sd.async_wait(asio::posix::stream_descriptor::wait_read,
                             asio::redirect_error(asio::use_awaitable, ec));
      if (ec || PQconsumeInput(conn) == 0) break;
      while (PGnotify* n = PQnotifies(conn)) {
        const std::string payload = n->extra ? n->extra : "";
        PQfreemem(n);
        on_notify_(payload);
      }
      if (PQstatus(conn) != CONNECTION_OK) break;
    }
    connected_ = false;
    sd.close();
    PQfinish(conn);
    if (!stop.load()) {
      log::warn("notification listener lost its connection; reconnecting", {{"channel", channel_}});
      on_notify_("*");
    }
  }
}

}  // namespace tg::db
