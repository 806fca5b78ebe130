#include "http/client.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <charconv>
#include <deque>
#include <memory>
#include <unordered_map>

namespace tg::http {
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

namespace {
constexpr std::size_t kMaxIdlePerUpstream = 64;
// Per I/O thread: every coroutine of a thread runs on that thread's io_context, so no lock is needed.
thread_local std::unordered_map<std::string, std::deque<std::unique_ptr<beast::tcp_stream>>> t_idle;

std::string pool_key(const Upstream& u) {
  return u.host + ":" + std::to_string(u.port);
}

struct Attempt {
  boost::system::error_code ec;
  bool got_bytes = false;
  ClientResponse response;
  bool keep_alive = false;
};

Task<Attempt> exchange(beast::tcp_stream& stream, const Upstream& u, const ClientRequest& req) {
  Attempt a;
  bhttp::request<bhttp::string_body> r;
  r.version(11);
  r.method_string(req.method);
  r.target(u.base_path + req.target);
  for (const auto& [name, value] : req.headers) r.insert(name, value);
  r.set(bhttp::field::host, u.port == 80 ? u.host : u.host + ":" + std::to_string(u.port));
  r.keep_alive(true);
  r.body() = req.body;
  r.prepare_payload();
  stream.expires_after(req.timeout);
  co_await bhttp::async_write(stream, r, asio::redirect_error(asio::use_awaitable, a.ec));
  if (a.ec) co_return a;
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(req.response_limit);
  parser.header_limit(64 * 1024);
  co_await bhttp::async_read_header(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, a.ec));
  if (a.ec) co_return a;
  a.got_bytes = true;
  if (!parser.is_done()) {
    co_await bhttp::async_read(stream, buffer, parser, asio::redirect_error(asio::use_awaitable, a.ec));
    if (a.ec) co_return a;
  }
  auto msg = parser.release();
  a.response.status = static_cast<int>(msg.result_int());
  for (const auto& f : msg) {
    std::string name(f.name_string());
    for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    a.response.headers.emplace_back(std::move(name), std::string(f.value()));
  }
  a.response.body = std::move(msg.body());
  a.keep_alive = msg.keep_alive();
  co_return a;
}

Error failure(const boost::system::error_code& ec) {
  if (ec == beast::error::timeout) return Error::of(ErrorCode::Timeout, "the upstream did not answer in time");
  return Error::of(ErrorCode::ServiceUnavailable, "the upstream could not be reached: " + ec.message());
}
}  // namespace

Result<Upstream> parse_upstream(std::string_view url) {
  if (url.rfind("http://", 0) != 0) return Error::of(ErrorCode::BadRequest, "upstream must be an http:// URL");
  url.remove_prefix(7);
  Upstream u;
  const auto slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  if (slash != std::string_view::npos) u.base_path = std::string(url.substr(slash));
  while (!u.base_path.empty() && u.base_path.back() == '/') u.base_path.pop_back();
  const auto colon = authority.rfind(':');
  if (colon != std::string_view::npos && authority.find(']') == std::string_view::npos) {
    unsigned port = 0;
    auto [p, ec] = std::from_chars(authority.data() + colon + 1, authority.data() + authority.size(), port);
    if (ec != std::errc() || p != authority.data() + authority.size() || port == 0 || port > 65535) {
      return Error::of(ErrorCode::BadRequest, "upstream port is invalid");
    }
    u.port = static_cast<std::uint16_t>(port);
    authority = authority.substr(0, colon);
  }
  if (authority.empty()) return Error::of(ErrorCode::BadRequest, "upstream host is missing");
  u.host = std::string(authority);
  return u;
}

Task<Result<ClientResponse>> send(const Upstream& u, const ClientRequest& req) {
  auto ex = co_await asio::this_coro::executor;
  const std::string key = pool_key(u);
  for (int attempt = 0; attempt < 2; ++attempt) {
    std::unique_ptr<beast::tcp_stream> stream;
    auto& idle = t_idle[key];
    const bool reused = attempt == 0 && !idle.empty();
    if (reused) {
      stream = std::move(idle.back());
      idle.pop_back();
    } else {
      stream = std::make_unique<beast::tcp_stream>(ex);
      tcp::resolver resolver(ex);
      boost::system::error_code ec;
      auto results = co_await resolver.async_resolve(u.host, std::to_string(u.port),
                                                     asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return failure(ec);
      stream->expires_after(req.timeout);
      co_await stream->async_connect(results, asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return failure(ec);
    }
    Attempt a = co_await exchange(*stream, u, req);
    if (a.ec) {
      // An idle keep-alive connection the upstream had closed: retry once on a fresh one, but only for methods
      // that are safe to repeat (RFC 9110 §9.2.2): the upstream may have acted on a POST before closing.
      const bool idempotent = req.method == "GET" || req.method == "HEAD" || req.method == "OPTIONS" ||
                              req.method == "PUT" || req.method == "DELETE";
      if (reused && !a.got_bytes && a.ec != beast::error::timeout && idempotent) continue;
      co_return failure(a.ec);
    }
    if (a.keep_alive) {
      auto& pool = t_idle[key];
      if (pool.size() < kMaxIdlePerUpstream) {
        stream->expires_never();
        pool.push_back(std::move(stream));
      }
    }
    co_return std::move(a.response);
  }
  co_return Error::of(ErrorCode::ServiceUnavailable, "the upstream could not be reached");
}

}  // namespace tg::http
