// bench/hello/hello.cpp — the bare Boost.Beast "hello" ceiling server.
//
// Same architecture as Tollgate's server, so the comparison is fair:
//   * N threads, each with its OWN io_context (concurrency hint 1) and its own
//     acceptor bound with SO_REUSEPORT to the same port: the kernel spreads
//     incoming connections across the threads;
//   * C++20 coroutine sessions (awaitable / co_spawn / use_awaitable, errors
//     through redirect_error — Boost 1.74 has no as_tuple, no message_generator);
//   * HTTP/1.1 keep-alive, http::request_parser<string_body> with a body limit.
// Every request gets 200 {"status":"ok"} (application/json). No middleware,
// no logging, no routing: this is the ceiling Tollgate's /healthz is held to.
//
// Usage: hello PORT [THREADS]   (THREADS also from env THREADS; default = cores)
// PORT 0 picks a free port. Prints "listening PORT" on stdout once all
// acceptors are bound. SIGINT/SIGTERM stop it cleanly (exit 0).
//
// g++ 12 with -std=c++20 defines __cpp_impl_coroutine, so no -fcoroutines flag
// is needed (Boost.Asio 1.74 keys BOOST_ASIO_HAS_CO_AWAIT off that macro).

// Boost 1.74 bug: asio/awaitable.hpp uses std::exchange without including <utility>.
#include <utility>

#include <boost/asio.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#if !defined(BOOST_ASIO_HAS_CO_AWAIT)
#error "C++20 coroutines are not enabled (need -std=c++20 with g++ >= 11, or -fcoroutines)"
#endif

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::ip::tcp;

namespace {

constexpr std::uint64_t kBodyLimit = 1024 * 1024;  // same default as Tollgate's BODY_LIMIT
constexpr char kBody[] = R"({"status":"ok"})";

using reuse_port = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;

asio::awaitable<void> session(tcp::socket sock) {
  boost::system::error_code ec;
  sock.set_option(tcp::no_delay(true), ec);
  beast::flat_buffer buffer;
  for (;;) {
    http::request_parser<http::string_body> parser;
    parser.body_limit(kBodyLimit);
    co_await http::async_read(sock, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    if (ec == http::error::end_of_stream) break;
    if (ec) {
      if (ec == http::error::body_limit) {
        http::response<http::string_body> res{http::status::payload_too_large, 11};
        res.set(http::field::content_type, "application/json");
        res.keep_alive(false);
        res.body() = R"({"status":"too_large"})";
        res.prepare_payload();
        co_await http::async_write(sock, res, asio::redirect_error(asio::use_awaitable, ec));
      }
      break;
    }
    const auto& req = parser.get();
    http::response<http::string_body> res{http::status::ok, req.version()};
    res.set(http::field::content_type, "application/json");
    res.keep_alive(req.keep_alive());
    res.body() = kBody;
    res.prepare_payload();
    co_await http::async_write(sock, res, asio::redirect_error(asio::use_awaitable, ec));
    if (ec || !res.keep_alive()) break;
  }
  sock.shutdown(tcp::socket::shutdown_send, ec);
  sock.close(ec);
}

asio::awaitable<void> listener(tcp::acceptor& acceptor) {
  boost::system::error_code ec;
  for (;;) {
    tcp::socket sock = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
      continue;  // EMFILE, ECONNABORTED...: keep accepting
    }
    asio::co_spawn(acceptor.get_executor(), session(std::move(sock)), asio::detached);
  }
}

void open_acceptor(tcp::acceptor& a, const tcp::endpoint& ep) {
  a.open(ep.protocol());
  a.set_option(asio::socket_base::reuse_address(true));
  a.set_option(reuse_port(true));
  a.bind(ep);
  a.listen(asio::socket_base::max_listen_connections);
}

struct Worker {
  asio::io_context ioc{1};
  tcp::acceptor acceptor{ioc};
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::cerr << "usage: " << argv[0] << " PORT [THREADS]\n";
    return 2;
  }
  try {
    const auto port = static_cast<unsigned short>(std::stoul(argv[1]));
    unsigned threads = 0;
    if (argc >= 3) {
      threads = static_cast<unsigned>(std::stoul(argv[2]));
    } else if (const char* t = std::getenv("THREADS"); t && *t) {
      threads = static_cast<unsigned>(std::stoul(t));
    }
    if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
    const char* host_env = std::getenv("HOST");
    const auto addr = asio::ip::make_address(host_env && *host_env ? host_env : "127.0.0.1");

    std::vector<std::unique_ptr<Worker>> workers;
    tcp::endpoint ep{addr, port};
    for (unsigned i = 0; i < threads; ++i) {
      auto w = std::make_unique<Worker>();
      open_acceptor(w->acceptor, ep);
      if (i == 0) ep = w->acceptor.local_endpoint();  // PORT 0: the rest join the picked port
      workers.push_back(std::move(w));
    }

    // Signals on their own io_context: stop every worker, then let main join.
    asio::io_context sig_ioc{1};
    asio::signal_set signals{sig_ioc, SIGINT, SIGTERM};
    signals.async_wait([&](const boost::system::error_code&, int) {
      for (auto& w : workers) {
        asio::post(w->ioc, [&w = *w] {
          boost::system::error_code ec;
          w.acceptor.close(ec);
          w.ioc.stop();
        });
      }
    });

    for (auto& w : workers) asio::co_spawn(w->ioc, listener(w->acceptor), asio::detached);

    std::printf("listening %u\n", static_cast<unsigned>(ep.port()));
    std::fflush(stdout);

    std::vector<std::thread> pool;
    pool.reserve(threads);
    for (auto& w : workers) pool.emplace_back([&ioc = w->ioc] { ioc.run(); });
    std::thread sig_thread([&] { sig_ioc.run(); });

    for (auto& t : pool) t.join();
    sig_thread.join();
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "hello: " << e.what() << "\n";
    return 1;
  }
}
