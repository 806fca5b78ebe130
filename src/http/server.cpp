#include "http/server.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <array>
#include <cstdio>
#include <set>

#include "core/log.hpp"

namespace tg::http {
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

struct Server::Impl {
  const Config& cfg;
  Pipeline& pipeline;
  Server& owner;
  std::vector<std::unique_ptr<tcp::acceptor>> acceptors;
  // Per I/O thread (index = worker_index()): connections waiting for their next request. Only that thread
  // touches its set, so no lock.
  std::vector<std::set<beast::tcp_stream*>> waiting;

  Task<void> accept_loop(tcp::acceptor& acceptor);
  Task<void> session(tcp::socket socket);
  Task<void> write(beast::tcp_stream& stream, Response res, bool head, bool keep_alive, unsigned version,
                   boost::system::error_code& ec);
};

namespace {

Request to_request(const bhttp::request<bhttp::string_body>& msg, const std::string& peer) {
  Request req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  auto q = req.target.find('?');
  req.path = req.target.substr(0, q);
  if (q != std::string::npos) req.query = req.target.substr(q + 1);
  req.headers.reserve(16);
  for (const auto& f : msg) {
    std::string name(f.name_string());
    for (auto& c : name) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
    req.headers.emplace_back(std::move(name), std::string(f.value()));
  }
  req.body = msg.body();
  req.peer_ip = peer;
  req.keep_alive = msg.keep_alive();
  return req;
}

std::optional<Error> parse_error(const boost::system::error_code& ec) {
  if (ec == bhttp::error::body_limit)
    return Error::of(ErrorCode::PayloadTooLarge, "The request body is larger than allowed.");
  if (ec == bhttp::error::header_limit)
    return Error::of(ErrorCode::HeadersTooLarge, "The request headers are too large.");
  if (ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category()) {
    return Error::of(ErrorCode::BadRequest, "The request could not be parsed as HTTP/1.1.");
  }
  return std::nullopt;
}

}  // namespace

// Responses are serialized here rather than through Beast's serializer: one contiguous header block plus the
// body in a single gathered write is measurably cheaper per request than Beast's per-field buffer sequences.
std::string serialize_head(const Response& res, bool head_only, bool keep_alive, unsigned version) {
  std::string out;
  out.reserve(256 + res.raw_headers.size() + res.headers.size() * 48);
  out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  out += std::to_string(res.status);
  out += ' ';
  out += bhttp::obsolete_reason(static_cast<bhttp::status>(res.status));
  out += "\r\n";
  for (const auto& [k, v] : res.headers) {
    // Header values come from our own code, but a CR/LF must never split a response.
    if (v.find_first_of("\r\n") != std::string::npos || k.find_first_of("\r\n: ") != std::string::npos) continue;
    out += k;
    out += ": ";
    out += v;
    out += "\r\n";
  }
  out += res.raw_headers;
  if (res.status != 204 && res.status != 304 && !(res.status >= 100 && res.status < 200)) {
    if (!res.stream) {
      out += "Content-Length: ";
      out += std::to_string(res.body.size());
      out += "\r\n";
    } else if (res.stream_length) {
      out += "Content-Length: ";
      out += std::to_string(*res.stream_length);
      out += "\r\n";
    } else if (version != 10) {
      out += "Transfer-Encoding: chunked\r\n";
    }  // HTTP/1.0 without a length: the body ends when the connection closes (the caller turns keep-alive off)
  }
  if (!keep_alive)
    out += "Connection: close\r\n";
  else if (version == 10)
    out += "Connection: keep-alive\r\n";
  out += "\r\n";
  (void)head_only;
  return out;
}

Task<void> Server::Impl::write(beast::tcp_stream& stream, Response res, bool head, bool keep_alive, unsigned version,
                               boost::system::error_code& ec) {
  std::string head_block = serialize_head(res, head, keep_alive, version);
  const bool with_body = !head && res.status != 204 && res.status != 304;
  if (!res.stream || !with_body) {
    std::array<asio::const_buffer, 2> buffers{asio::buffer(head_block),
                                              with_body ? asio::buffer(res.body) : asio::const_buffer()};
    co_await asio::async_write(stream, buffers, asio::redirect_error(asio::use_awaitable, ec));
    co_return;
  }
  // Streamed body: the first part with the head, then each piece as it arrives (chunked unless the length is
  // known or the client speaks HTTP/1.0). The write deadline is renewed per piece.
  const bool chunked = !res.stream_length && version != 10;
  std::string piece = std::move(res.body);
  std::uint64_t sent = 0;
  bool first = true;
  while (true) {
    if (!piece.empty()) {
      std::string frame;
      if (chunked) {
        char size[24];
        const int n = std::snprintf(size, sizeof size, "%zx\r\n", piece.size());
        frame.assign(size, static_cast<std::size_t>(n));
      }
      std::array<asio::const_buffer, 4> buffers{first ? asio::buffer(head_block) : asio::const_buffer(),
                                                asio::buffer(frame), asio::buffer(piece),
                                                chunked ? asio::buffer("\r\n", 2) : asio::const_buffer()};
      stream.expires_after(cfg.idle_timeout);
      co_await asio::async_write(stream, buffers, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      sent += piece.size();
      first = false;
    }
    auto more = co_await res.stream->next();
    if (!more) {
      // The source failed mid-body: closing the connection (without the last chunk) tells the client so.
      log::warn("streamed response ended early", {{"error", more.error().detail}, {"bytes", sent}});
      ec = asio::error::connection_aborted;
      co_return;
    }
    piece = std::move(more.value());
    if (piece.empty()) break;
    if (res.stream_length && sent + piece.size() > *res.stream_length) {
      ec = asio::error::message_size;  // more than the declared length: never send it
      co_return;
    }
  }
  if (res.stream_length && sent != *res.stream_length) {
    ec = asio::error::eof;  // shorter than declared: the client sees a truncated body when the connection closes
    co_return;
  }
  std::string tail;  // no ?: yielding a std::string in a coroutine (GCC 12, docs/architecture.md)
  if (chunked) tail = "0\r\n\r\n";
  std::array<asio::const_buffer, 2> last{first ? asio::buffer(head_block) : asio::const_buffer(), asio::buffer(tail)};
  co_await asio::async_write(stream, last, asio::redirect_error(asio::use_awaitable, ec));
}

namespace {
constexpr std::uint64_t kStreamRequestAbove = 1024 * 1024;

// The body of a large gateway request, read from the connection while the handler proxies it. Lives in the
// session's frame; the handler finishes before the session goes on.
class SocketBody final : public BodyStream {
 public:
  SocketBody(beast::tcp_stream& s, beast::flat_buffer& b, bhttp::request_parser<bhttp::buffer_body>& p,
             std::chrono::milliseconds timeout, bool expect_continue)
      : s_(s), b_(b), p_(p), timeout_(timeout), expect_continue_(expect_continue) {}

  Task<Result<std::string>> next() override {
    std::string piece;
    boost::system::error_code ec;
    if (expect_continue_) {
      // The client waits for this before sending a body it announced with `Expect: 100-continue`.
      expect_continue_ = false;
      s_.expires_after(timeout_);
      static constexpr char kContinue[] = "HTTP/1.1 100 Continue\r\n\r\n";
      co_await asio::async_write(s_, asio::buffer(kContinue, sizeof kContinue - 1),
                                 asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return Error::of(ErrorCode::BadRequest, "the client went away");
    }
    while (piece.empty() && !p_.is_done()) {
      constexpr std::size_t kPiece = 64 * 1024;
      piece.resize(kPiece);
      p_.get().body().data = piece.data();
      p_.get().body().size = kPiece;
      s_.expires_after(timeout_);
      co_await bhttp::async_read_some(s_, b_, p_, asio::redirect_error(asio::use_awaitable, ec));
      if (ec == bhttp::error::need_buffer) ec = {};
      piece.resize(kPiece - p_.get().body().size);
      if (ec == bhttp::error::body_limit)
        co_return Error::of(ErrorCode::PayloadTooLarge, "The request body is larger than allowed.");
      if (ec) co_return Error::of(ErrorCode::BadRequest, "The request body could not be read: " + ec.message());
    }
    transferred_ += piece.size();
    co_return piece;
  }
  std::uint64_t transferred() const override { return transferred_; }
  bool finished() const { return p_.is_done(); }

 private:
  beast::tcp_stream& s_;
  beast::flat_buffer& b_;
  bhttp::request_parser<bhttp::buffer_body>& p_;
  std::chrono::milliseconds timeout_;
  bool expect_continue_;
  std::uint64_t transferred_ = 0;
};

Request head_request(const bhttp::request_parser<bhttp::string_body>& parser, const std::string& peer) {
  Request req;
  req.method = parser.is_header_done() ? std::string(parser.get().method_string()) : "UNKNOWN";
  if (parser.is_header_done()) {
    req.target = std::string(parser.get().target());
    req.path = req.target.substr(0, req.target.find('?'));
    for (const auto& f : parser.get()) {
      std::string name(f.name_string());
      for (auto& c : name) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
      req.headers.emplace_back(std::move(name), std::string(f.value()));
    }
  }
  req.peer_ip = peer;
  return req;
}
}  // namespace

Task<void> Server::Impl::session(tcp::socket socket) {
  owner.open_.fetch_add(1);
  struct Open {
    std::atomic<int>& n;
    ~Open() { n.fetch_sub(1); }
  } open{owner.open_};
  boost::system::error_code ec;
  std::string peer;
  {
    auto ep = socket.remote_endpoint(ec);
    if (ec) co_return;
    auto addr = ep.address();
    if (addr.is_v6() && addr.to_v6().is_v4_mapped())
      addr = asio::ip::make_address_v4(asio::ip::v4_mapped, addr.to_v6());
    peer = addr.to_string();
  }
  socket.set_option(tcp::no_delay(true), ec);
  beast::tcp_stream stream(std::move(socket));
  beast::flat_buffer buffer;
  bool first = true;
  const std::uint64_t header_body_limit = std::max<std::uint64_t>(cfg.body_limit, cfg.gateway_body_limit);
  while (true) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(cfg.header_limit));
    // The head is read first with the larger of the two limits; the route then decides which applies.
    parser.body_limit(header_body_limit);
    if (first) stream.expires_after(cfg.read_timeout);
    first = false;
    // Waiting for a request: a drain gives this connection a short linger instead of the idle timeout.
    auto& waiting_here = waiting[static_cast<std::size_t>(worker_index()) % waiting.size()];
    if (owner.draining_.load()) stream.expires_after(std::chrono::milliseconds(owner.linger_ms_.load()));
    waiting_here.insert(&stream);
    co_await bhttp::async_read_header(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
    waiting_here.erase(&stream);
    if (ec == asio::error::operation_aborted && owner.draining_.load()) {
      // drain() cancelled the wait (a pending read's timeout cannot be shortened): a request already on its way
      // is still read and served, then the connection closes; nothing within the linger, and it closes now.
      stream.expires_after(std::chrono::milliseconds(owner.linger_ms_.load()));
      co_await bhttp::async_read_header(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
      if (ec == beast::error::timeout) break;
    }
    std::optional<Error> refused;
    std::unique_ptr<bhttp::request_parser<bhttp::buffer_body>> streaming;
    if (!ec) {
      const auto target = parser.get().target();
      const bool gateway = target.size() >= 4 && target.substr(0, 4) == "/gw/";
      const auto length = parser.content_length();
      if (!gateway && length && *length > cfg.body_limit) {
        refused = Error::of(ErrorCode::PayloadTooLarge, "The request body is larger than allowed.");
      } else if (gateway && (parser.chunked() || (length && *length > kStreamRequestAbove))) {
        streaming = std::make_unique<bhttp::request_parser<bhttp::buffer_body>>(std::move(parser));
        streaming->body_limit(cfg.gateway_body_limit);
      } else {
        // Not set after body bytes were parsed (none are yet): Beast leaves that undefined.
        parser.body_limit(gateway ? cfg.gateway_body_limit : cfg.body_limit);
        if (!parser.is_done()) {
          co_await bhttp::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, ec));
        }
      }
    }
    if (ec == bhttp::error::end_of_stream) break;
    if (ec && !refused) refused = parse_error(ec);
    if (ec || refused) {
      // Malformed or oversize input still gets a problem document before the connection closes.
      if (refused) {
        Request req = head_request(parser, peer);
        Response res = pipeline.reject(req, *refused);
        stream.expires_after(std::chrono::seconds(5));
        boost::system::error_code wec;
        co_await write(stream, std::move(res), false, false, 11, wec);
        // Closing with unread input makes the kernel send RST, and the client may lose the response: half-close,
        // then drain (bounded in bytes and time) until the client hangs up.
        stream.socket().shutdown(tcp::socket::shutdown_send, wec);
        stream.expires_after(std::chrono::seconds(2));
        std::size_t drained = 0;
        char sink[16384];
        while (!wec && drained < 64 * 1024 * 1024) {
          drained +=
              co_await stream.async_read_some(asio::buffer(sink), asio::redirect_error(asio::use_awaitable, wec));
        }
      }
      break;
    }
    Request req;
    unsigned version = 11;
    std::shared_ptr<SocketBody> body;
    if (streaming) {
      auto& msg = streaming->get();
      req.method = std::string(msg.method_string());
      req.target = std::string(msg.target());
      auto q = req.target.find('?');
      req.path = req.target.substr(0, q);
      if (q != std::string::npos) req.query = req.target.substr(q + 1);
      bool expect_continue = false;
      for (const auto& f : msg) {
        std::string name(f.name_string());
        for (auto& c : name) c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
        const std::string_view value(f.value().data(), f.value().size());
        if (name == "expect" && iequals(value, "100-continue")) expect_continue = true;
        req.headers.emplace_back(std::move(name), std::string(f.value()));
      }
      req.peer_ip = peer;
      req.keep_alive = msg.keep_alive();
      if (auto len = streaming->content_length()) req.body_length = *len;
      version = msg.version();
      body = std::make_shared<SocketBody>(stream, buffer, *streaming, cfg.read_timeout, expect_continue);
      req.body_stream = body;
    } else {
      req = to_request(parser.get(), peer);
      version = parser.get().version();
    }
    owner.in_flight_.fetch_add(1);
    stream.expires_never();
    Response res = co_await pipeline.handle(req);
    bool keep_alive = req.keep_alive && !owner.draining_.load();
    // A request body left unread (the call was refused before it was proxied): the connection cannot be reused.
    if (body && !body->finished()) keep_alive = false;
    if (res.stream && !res.stream_length && version == 10) keep_alive = false;  // close-delimited body
    // One deadline covers writing this response and waiting for the next request (a timer update per request).
    stream.expires_after(cfg.idle_timeout);
    co_await write(stream, std::move(res), req.method == "HEAD", keep_alive, version, ec);
    owner.in_flight_.fetch_sub(1);
    if (body && !body->finished() && !ec) {
      // Drain what the client is still sending (bounded) so closing does not reset the connection under the
      // answer it is about to read.
      stream.socket().shutdown(tcp::socket::shutdown_send, ec);
      stream.expires_after(std::chrono::seconds(2));
      std::size_t drained = 0;
      char sink[16384];
      while (!ec && drained < 64 * 1024 * 1024) {
        drained += co_await stream.async_read_some(asio::buffer(sink), asio::redirect_error(asio::use_awaitable, ec));
      }
      break;
    }
    if (ec || !keep_alive) break;
  }
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
}

Task<void> Server::Impl::accept_loop(tcp::acceptor& acceptor) {
  auto ex = co_await asio::this_coro::executor;
  while (acceptor.is_open()) {
    boost::system::error_code ec;
    tcp::socket socket = co_await acceptor.async_accept(asio::redirect_error(asio::use_awaitable, ec));
    if (ec) {
      if (ec == asio::error::operation_aborted || !acceptor.is_open()) break;
      continue;  // EMFILE and friends: keep accepting
    }
    asio::co_spawn(ex, session(std::move(socket)), asio::detached);
  }
}

Server::Server(const Config& cfg, Pipeline& pipeline) : impl_(new Impl{cfg, pipeline, *this, {}}) {}
Server::~Server() = default;

Result<std::uint16_t> Server::listen(const std::vector<asio::io_context*>& contexts) {
  boost::system::error_code ec;
  auto host = impl_->cfg.host == "localhost" ? std::string("127.0.0.1") : impl_->cfg.host;
  auto addr = asio::ip::make_address(host, ec);
  if (ec) return Error::of(ErrorCode::Internal, "HOST: invalid address");
  std::uint16_t port = impl_->cfg.port;
  for (auto* ctx : contexts) {
    auto acc = std::make_unique<tcp::acceptor>(*ctx);
    tcp::endpoint ep(addr, port);
    acc->open(ep.protocol(), ec);
    if (!ec) acc->set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) {
      int one = 1;
      ::setsockopt(acc->native_handle(), SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    }
    if (!ec) acc->bind(ep, ec);
    if (!ec) acc->listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      Error e =
          Error::of(ErrorCode::Internal, "cannot listen on " + host + ":" + std::to_string(port) + ": " + ec.message());
      e.cause = ec.message();
      return e;
    }
    port = acc->local_endpoint().port();  // PORT=0: later acceptors join the port the first one got
    impl_->acceptors.push_back(std::move(acc));
  }
  impl_->waiting.resize(impl_->acceptors.size());
  for (auto& acc : impl_->acceptors) {
    asio::co_spawn(acc->get_executor(), impl_->accept_loop(*acc), asio::detached);
  }
  return port;
}

void Server::drain(std::chrono::milliseconds linger) {
  linger_ms_.store(linger.count());
  draining_.store(true);
  for (auto& acc : impl_->acceptors) {
    asio::post(acc->get_executor(), [impl = impl_.get(), a = acc.get()] {
      boost::system::error_code ec;
      // Connections the kernel already completed wait in the backlog: closing now would reset them. Take them
      // (they are answered with Connection: close), then close.
      a->non_blocking(true, ec);
      for (int i = 0; i < 4096 && !ec; ++i) {
        tcp::socket s(a->get_executor());
        a->accept(s, ec);
        if (!ec) asio::co_spawn(a->get_executor(), impl->session(std::move(s)), asio::detached);
      }
      a->close(ec);
      // This thread's connections waiting for a request: a request already sent is served, others close.
      auto& waiting = impl->waiting[static_cast<std::size_t>(worker_index()) % impl->waiting.size()];
      for (auto* stream : waiting) stream->socket().cancel(ec);
    });
  }
}

}  // namespace tg::http
