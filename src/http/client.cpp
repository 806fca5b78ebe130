#include "http/client.hpp"

#include <openssl/ssl.h>

#include <array>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cstdio>
#include <deque>
#include <limits>
#include <memory>
#include <mutex>
#include <unordered_map>

namespace tg::http {
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;

namespace {
constexpr std::size_t kMaxIdlePerUpstream = 64;
constexpr std::size_t kReadPiece = 64 * 1024;

using TlsStream = beast::ssl_stream<beast::tcp_stream>;
using Parser = bhttp::response_parser<bhttp::buffer_body>;

// One upstream connection, plain or TLS.
struct Conn {
  std::unique_ptr<beast::tcp_stream> tcp;
  std::unique_ptr<TlsStream> tls;
  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *tcp; }
};

// Per I/O thread: every coroutine of a thread runs on that thread's io_context, so no lock is needed.
thread_local std::unordered_map<std::string, std::deque<std::unique_ptr<Conn>>> t_idle;

std::string pool_key(const Upstream& u) {
  return std::string(u.tls ? "https://" : "http://") + u.host + ":" + std::to_string(u.port);
}

void give_back(const std::string& key, std::unique_ptr<Conn> c) {
  auto& pool = t_idle[key];
  if (pool.size() >= kMaxIdlePerUpstream) return;
  c->lowest().expires_never();
  pool.push_back(std::move(c));
}

std::mutex g_tls_mu;
std::string g_ca_file;

ssl::context& tls_context() {
  // Built on first use (after configure_client); SSL_CTX is safe to share between threads once set up.
  static ssl::context* ctx = [] {
    auto* c = new ssl::context(ssl::context::tls_client);
    c->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                   ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    boost::system::error_code ec;
    c->set_default_verify_paths(ec);
    std::lock_guard lock(g_tls_mu);
    if (!g_ca_file.empty()) c->load_verify_file(g_ca_file, ec);
    c->set_verify_mode(ssl::verify_peer);
    return c;
  }();
  return *ctx;
}

Task<void> write_request(Conn& c, bhttp::request<bhttp::string_body>& r, boost::system::error_code& ec) {
  if (c.tls) {
    co_await bhttp::async_write(*c.tls, r, asio::redirect_error(asio::use_awaitable, ec));
  } else {
    co_await bhttp::async_write(*c.tcp, r, asio::redirect_error(asio::use_awaitable, ec));
  }
}

Task<void> write_head(Conn& c, bhttp::request<bhttp::empty_body>& r, boost::system::error_code& ec) {
  bhttp::request_serializer<bhttp::empty_body> sr(r);
  if (c.tls) {
    co_await bhttp::async_write_header(*c.tls, sr, asio::redirect_error(asio::use_awaitable, ec));
  } else {
    co_await bhttp::async_write_header(*c.tcp, sr, asio::redirect_error(asio::use_awaitable, ec));
  }
}

Task<void> write_raw(Conn& c, const std::array<asio::const_buffer, 3>& buffers, boost::system::error_code& ec) {
  if (c.tls) {
    co_await asio::async_write(*c.tls, buffers, asio::redirect_error(asio::use_awaitable, ec));
  } else {
    co_await asio::async_write(*c.tcp, buffers, asio::redirect_error(asio::use_awaitable, ec));
  }
}

Task<void> read_header(Conn& c, beast::flat_buffer& b, Parser& p, boost::system::error_code& ec) {
  if (c.tls) {
    co_await bhttp::async_read_header(*c.tls, b, p, asio::redirect_error(asio::use_awaitable, ec));
  } else {
    co_await bhttp::async_read_header(*c.tcp, b, p, asio::redirect_error(asio::use_awaitable, ec));
  }
}

Task<void> read_some(Conn& c, beast::flat_buffer& b, Parser& p, boost::system::error_code& ec) {
  if (c.tls) {
    co_await bhttp::async_read_some(*c.tls, b, p, asio::redirect_error(asio::use_awaitable, ec));
  } else {
    co_await bhttp::async_read_some(*c.tcp, b, p, asio::redirect_error(asio::use_awaitable, ec));
  }
}

// An answer being read: the connection, its buffer and parser stay together until the body's end.
struct Exchange {
  std::string key;
  std::unique_ptr<Conn> conn;
  beast::flat_buffer buffer;
  std::unique_ptr<Parser> parser = std::make_unique<Parser>();
  std::chrono::milliseconds timeout{30000};
};

Error failure(const boost::system::error_code& ec) {
  if (ec == beast::error::timeout) return Error::of(ErrorCode::Timeout, "the upstream did not answer in time");
  return Error::of(ErrorCode::ServiceUnavailable, "the upstream could not be reached: " + ec.message());
}

// Appends body bytes to `out` until the body ends or `out` holds `max` bytes; true at the body's end.
Task<Result<bool>> read_body(Exchange& x, std::string& out, std::size_t max) {
  while (!x.parser->is_done() && out.size() < max) {
    const std::size_t old = out.size();
    std::size_t room = std::min(kReadPiece, max - old);
    // With a declared length, make room for just that (a 64 KiB buffer zero-filled for a 15-byte answer was 4 %
    // of a gateway call); the parser may already hold all of it from the header read.
    if (const auto left = x.parser->content_length_remaining(); left && *left < room)
      room = static_cast<std::size_t>(std::max<std::uint64_t>(*left, 1));
    out.resize(old + room);
    auto& body = x.parser->get().body();
    body.data = out.data() + old;
    body.size = room;
    boost::system::error_code ec;
    x.conn->lowest().expires_after(x.timeout);
    co_await read_some(*x.conn, x.buffer, *x.parser, ec);
    if (ec == bhttp::error::need_buffer) ec = {};
    out.resize(old + room - body.size);
    if (ec) co_return failure(ec);
  }
  co_return x.parser->is_done();
}

class UpstreamBody final : public BodyStream {
 public:
  explicit UpstreamBody(std::unique_ptr<Exchange> x) : x_(std::move(x)) {}
  Task<Result<std::string>> next() override {
    std::string piece;
    if (!x_ || x_->parser->is_done()) co_return piece;
    // Loop until there is something to hand on or the body ends (a read may consume only chunk framing).
    while (piece.empty()) {
      auto done = co_await read_body(*x_, piece, kReadPiece);
      if (!done) {
        x_.reset();  // a broken connection is never pooled
        co_return done.error();
      }
      if (done.value()) {
        if (x_->parser->keep_alive()) give_back(x_->key, std::move(x_->conn));
        x_.reset();
        break;
      }
    }
    co_return piece;
  }

 private:
  std::unique_ptr<Exchange> x_;
};

Task<Result<std::unique_ptr<Conn>>> dial(const Upstream& u, const ClientRequest& req) {
  auto ex = co_await asio::this_coro::executor;
  auto c = std::make_unique<Conn>();
  tcp::resolver resolver(ex);
  boost::system::error_code ec;
  const std::string port = std::to_string(u.port);
  auto results = co_await resolver.async_resolve(u.host, port, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return failure(ec);
  if (u.tls) {
    c->tls = std::make_unique<TlsStream>(ex, tls_context());
    boost::system::error_code not_ip;
    asio::ip::make_address(u.host, not_ip);
    // SNI carries host names only (RFC 6066 §3).
    if (not_ip && !SSL_set_tlsext_host_name(c->tls->native_handle(), u.host.c_str())) {
      co_return Error::of(ErrorCode::ServiceUnavailable, "the upstream could not be reached: SNI refused");
    }
    c->tls->set_verify_mode(ssl::verify_peer);
    c->tls->set_verify_callback(ssl::host_name_verification(u.host));
  } else {
    c->tcp = std::make_unique<beast::tcp_stream>(ex);
  }
  c->lowest().expires_after(req.timeout);
  co_await c->lowest().async_connect(results, asio::redirect_error(asio::use_awaitable, ec));
  if (ec) co_return failure(ec);
  if (u.tls) {
    co_await c->tls->async_handshake(ssl::stream_base::client, asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      Error e = Error::of(ErrorCode::ServiceUnavailable, "the upstream's TLS handshake failed: " + ec.message());
      co_return e;
    }
  }
  co_return c;
}
template <class Body>
void fill_head(bhttp::request<Body>& r, const Upstream& u, const ClientRequest& req, const std::string& host) {
  r.version(11);
  r.method_string(req.method);
  r.target(u.base_path + req.target);
  for (const auto& [name, value] : req.headers) r.insert(name, value);
  r.set(bhttp::field::host, host);
  r.keep_alive(true);
}

// Head, then the body piece by piece from its stream (chunked when the length is unknown).
Task<Result<bool>> send_streamed(Conn& c, const Upstream& u, const ClientRequest& req, const std::string& host) {
  bhttp::request<bhttp::empty_body> r;
  fill_head(r, u, req, host);
  const bool chunked = !req.body_length;
  if (chunked) {
    r.set(bhttp::field::transfer_encoding, "chunked");
  } else {
    r.set(bhttp::field::content_length, std::to_string(*req.body_length));
  }
  boost::system::error_code ec;
  c.lowest().expires_after(req.timeout);
  co_await write_head(c, r, ec);
  if (ec) co_return failure(ec);
  std::uint64_t sent = 0;
  while (true) {
    auto piece = co_await req.body_stream->next();
    if (!piece) co_return piece.error();  // the caller's body failed: the upstream connection is dropped
    const std::string& data = piece.value();
    if (!chunked && sent + data.size() > *req.body_length)
      co_return Error::of(ErrorCode::BadRequest, "The request body is longer than its Content-Length.");
    std::string frame;
    if (chunked) {
      char size[24];
      const int n = std::snprintf(size, sizeof size, "%zx\r\n", data.size());
      frame.assign(size, static_cast<std::size_t>(n));
    }
    const bool last = data.empty();
    std::string trailer;
    if (chunked) trailer = "\r\n";
    std::array<asio::const_buffer, 3> buffers{asio::buffer(frame), asio::buffer(data), asio::buffer(trailer)};
    if (!chunked && last) break;
    c.lowest().expires_after(req.timeout);
    co_await write_raw(c, buffers, ec);
    if (ec) co_return failure(ec);
    sent += data.size();
    if (last) break;
  }
  co_return true;
}
}  // namespace

Status configure_client(const ClientOptions& options) {
  {
    std::lock_guard lock(g_tls_mu);
    g_ca_file = options.ca_file;
  }
  if (options.ca_file.empty()) return ok_status();
  ssl::context probe(ssl::context::tls_client);
  boost::system::error_code ec;
  probe.load_verify_file(options.ca_file, ec);
  if (ec) return Error::of(ErrorCode::BadRequest, "UPSTREAM_CA_FILE cannot be loaded: " + ec.message());
  return ok_status();
}

Task<Result<ClientResponse>> send(const Upstream& u, const ClientRequest& req) {
  const std::string key = pool_key(u);
  const bool default_port = u.port == (u.tls ? 443 : 80);
  std::string host = u.host;
  if (!default_port) host += ":" + std::to_string(u.port);
  bhttp::request<bhttp::string_body> r;
  if (!req.body_stream) {
    fill_head(r, u, req, host);
    r.body() = req.body;
    r.prepare_payload();
  }
  for (int attempt = 0; attempt < 2; ++attempt) {
    auto x = std::make_unique<Exchange>();
    x->key = key;
    x->timeout = req.timeout;
    auto& idle = t_idle[key];
    const bool reused = attempt == 0 && !idle.empty() && !req.body_stream;
    if (reused) {
      x->conn = std::move(idle.back());
      idle.pop_back();
    } else {
      auto dialed = co_await dial(u, req);
      if (!dialed) co_return dialed.error();
      x->conn = std::move(dialed.value());
    }
    boost::system::error_code ec;
    if (req.body_stream) {
      auto sent = co_await send_streamed(*x->conn, u, req, host);
      if (!sent) co_return sent.error();
    } else {
      x->conn->lowest().expires_after(req.timeout);
      co_await write_request(*x->conn, r, ec);
    }
    if (!ec) {
      x->conn->lowest().expires_after(req.timeout);
      x->parser->header_limit(64 * 1024);
      // Larger answers stream; there is no total cap. Not boost::none: Beast 1.74 compares a Content-Length with
      // the optional itself, and any length is "greater" than none.
      x->parser->body_limit(std::numeric_limits<std::uint64_t>::max());
      if (req.method == "HEAD") x->parser->skip(true);
      co_await read_header(*x->conn, x->buffer, *x->parser, ec);
    }
    if (ec) {
      // An idle keep-alive connection the upstream had closed: retry once on a fresh one, but only for methods
      // that are safe to repeat (RFC 9110 §9.2.2): the upstream may have acted on a POST before closing.
      const bool idempotent = req.method == "GET" || req.method == "HEAD" || req.method == "OPTIONS" ||
                              req.method == "PUT" || req.method == "DELETE";
      if (reused && ec != beast::error::timeout && idempotent) continue;
      co_return failure(ec);
    }
    ClientResponse out;
    auto& msg = x->parser->get();
    out.status = static_cast<int>(msg.result_int());
    for (const auto& f : msg) {
      std::string name(f.name_string());
      for (auto& c : name) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
      out.headers.emplace_back(std::move(name), std::string(f.value()));
    }
    if (auto len = x->parser->content_length()) out.content_length = *len;
    auto done = co_await read_body(*x, out.body, req.buffer_limit);
    if (!done) co_return done.error();
    if (done.value()) {
      if (x->parser->keep_alive()) give_back(key, std::move(x->conn));
    } else {
      out.rest = std::make_shared<UpstreamBody>(std::move(x));
    }
    co_return out;
  }
  co_return Error::of(ErrorCode::ServiceUnavailable, "the upstream could not be reached");
}

}  // namespace tg::http
