// HTTP request handling without sockets: the input is the byte stream a client sends on one connection.
//
// It goes through what src/http/server.cpp's session does (Beast's request_parser with the configured header and
// body limits, the /gw/ streaming decision, to_request / head_request + Pipeline::reject on refused input), then
// http::Pipeline::handle (request id, X-Forwarded-For with TRUSTED_PROXIES, CORS, Bearer identification with the
// real JWT verifier, the /api limiter, the router holding every route of api/openapi.yaml, the SPA fallback,
// security / CORS / rate-limit headers, gzip, access log, metrics), then serialize_head. Up to four pipelined
// requests per input. Route handlers are stand-ins that check the router's parameters and parse JSON bodies with
// http::json_object_body; /gw/* runs the gateway's own request checks (suspicious_path, presented_key,
// path_matches, header filtering) and reads a streamed body the way SocketBody does.
//
// Invariants checked besides the sanitizers: a matched route's pattern with its parameters substituted gives back
// the path; every serialized response head parses as HTTP/1.1 and holds no stray CR/LF; problem+json bodies are
// JSON; a gzip body inflates; X-Request-ID is sane.
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <memory>

#include "auth/auth_handlers.hpp"
#include "auth/jwt.hpp"
#include "core/config.hpp"
#include "core/log.hpp"
#include "fuzz_common.hpp"
#include "gateway/gateway.hpp"
#include "http/body.hpp"
#include "http/pipeline.hpp"
#include "http/problem.hpp"
#include "http/router.hpp"
#include "http/static_files.hpp"
#include "keys/key_format.hpp"
#include "ratelimit/memory_limiter.hpp"
#include "shims/shims.hpp"

namespace {
using namespace tg;
namespace bhttp = boost::beast::http;
namespace beast = boost::beast;
using http::Request;
using http::Response;

struct RouteSpec {
  const char* method;
  const char* pattern;
};
// Generated at configure time from api/openapi.yaml (tests/fuzz/CMakeLists.txt).
constexpr RouteSpec kRoutes[] = {
#include "openapi_routes.inc"
};

// A gateway catalog as the database would hand it over: longest patterns first.
constexpr const char* kCatalog[] = {"/weather/{city}/forecast/*", "/weather/{city}", "/files/*", "/echo/*", "/echo",
                                    "/"};

constexpr const char* kPeer = "10.1.2.3";  // inside TRUSTED_PROXIES: X-Forwarded-For is walked
constexpr const char* kSecret = "fuzz-jwt-secret-0123456789abcdef0123456789";

// The client's bytes, handed to Beast in pieces of `chunk` bytes (read_some semantics), then EOF.
class InputStream {
 public:
  InputStream(const std::uint8_t* p, std::size_t n, std::size_t chunk) : p_(p), n_(n), chunk_(chunk) {}
  template <class Buffers>
  std::size_t read_some(const Buffers& buffers, boost::system::error_code& ec) {
    if (n_ == 0) {
      ec = asio::error::eof;
      return 0;
    }
    const std::size_t k = std::min({n_, chunk_, asio::buffer_size(buffers)});
    asio::buffer_copy(buffers, asio::buffer(p_, k));
    p_ += k;
    n_ -= k;
    ec = {};
    return k;
  }
  template <class Buffers>
  std::size_t read_some(const Buffers& buffers) {
    boost::system::error_code ec;
    const std::size_t k = read_some(buffers, ec);
    if (ec) throw boost::system::system_error(ec);
    return k;
  }

 private:
  const std::uint8_t* p_;
  std::size_t n_;
  std::size_t chunk_;
};

// server.cpp's SocketBody, over the input instead of a socket (no 100-continue write: nothing to write to).
class InputBody final : public http::BodyStream {
 public:
  InputBody(InputStream& s, beast::flat_buffer& b, bhttp::request_parser<bhttp::buffer_body>& p)
      : s_(s), b_(b), p_(p) {}
  Task<Result<std::string>> next() override {
    std::string piece;
    boost::system::error_code ec;
    while (piece.empty() && !p_.is_done()) {
      constexpr std::size_t kPiece = 64 * 1024;
      piece.resize(kPiece);
      p_.get().body().data = piece.data();
      p_.get().body().size = kPiece;
      bhttp::read_some(s_, b_, p_, ec);
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
  InputStream& s_;
  beast::flat_buffer& b_;
  bhttp::request_parser<bhttp::buffer_body>& p_;
  std::uint64_t transferred_ = 0;
};

// The route pattern with the matched parameters put back must be the path itself.
void check_params(const Request& req) {
  const std::string_view pattern = req.route;
  std::string out;
  std::size_t pi = 0, used = 0;
  while (pi < pattern.size()) {
    if (pattern[pi] == '*') {
      out += req.param("*");
      ++used;
      break;
    }
    if (pattern[pi] == '{') {
      const auto close = pattern.find('}', pi);
      const auto name = pattern.substr(pi + 1, close - pi - 1);
      const auto value = req.param(name);
      FUZZ_CHECK(!value.empty() && value.find('/') == std::string_view::npos, "bad parameter %.*s='%.*s'",
                 static_cast<int>(name.size()), name.data(), static_cast<int>(value.size()), value.data());
      out += value;
      ++used;
      pi = close + 1;
      continue;
    }
    out += pattern[pi++];
  }
  FUZZ_CHECK(out == req.path, "route %.*s with params gives '%s', path is '%s'", static_cast<int>(pattern.size()),
             pattern.data(), out.c_str(), req.path.c_str());
  FUZZ_CHECK(used == req.params.size(), "%zu params for %zu placeholders", req.params.size(), used);
}

Task<Result<std::uint64_t>> drain(http::BodyStream& body) {
  std::uint64_t total = 0;
  for (int i = 0; i < 64; ++i) {
    auto piece = co_await body.next();
    if (!piece) co_return piece.error();
    if (piece->empty()) break;
    total += piece->size();
  }
  co_return total;
}

Task<Response> api_handler(Request& req) {
  check_params(req);
  nlohmann::json out = {{"route", std::string(req.route)}, {"path", req.path}, {"user", req.user_id}};
  for (const auto& [k, v] : req.params) out["params"][k] = v;
  if (req.method == "POST" || req.method == "PUT" || req.method == "PATCH" || req.method == "DELETE") {
    if (!(req.method == "DELETE" && req.body.empty())) {
      auto body = http::json_object_body(req);
      if (!body) co_return http::problem(body.error(), req.request_id);
      out["body"] = std::move(body.value());
    }
  }
  co_return Response::json(200, out);
}

// What gateway.cpp's handler checks before it asks the catalog, the verifier and the upstream.
Task<Response> gateway_handler(Request& req) {
  check_params(req);
  std::string path = "/";
  if (req.path.size() > 3) path = req.path.substr(3);
  if (fuzz::gateway_suspicious_path(path)) {
    co_return http::problem(Error::coded(ErrorCode::BadRequest, "INVALID_PATH", "dot segments"), req.request_id);
  }
  const char* matched = nullptr;
  for (const char* pattern : kCatalog) {
    if (gateway::path_matches(pattern, path)) {
      matched = pattern;
      break;
    }
  }
  if (!matched) co_return http::problem(Error::of(ErrorCode::NotFound, "no endpoint"), req.request_id);
  const std::string key = fuzz::gateway_presented_key(req);
  const bool well_formed = keys::well_formed_key(key);
  nlohmann::json forwarded = nlohmann::json::object();
  for (const auto& [k, v] : req.headers)
    if (!fuzz::gateway_drop_request_header(k)) forwarded[k] = v;
  std::uint64_t streamed = 0;
  if (req.body_stream) {
    auto n = co_await drain(*req.body_stream);
    if (!n) co_return http::problem(n.error(), req.request_id);
    streamed = n.value();
  }
  co_return Response::json(200, nlohmann::json{{"endpoint", matched},
                                               {"path", path},
                                               {"keyWellFormed", well_formed},
                                               {"headers", forwarded},
                                               {"bodyBytes", req.body.size() + streamed}});
}

struct World {
  Config cfg;
  http::Router router;
  fuzz::FixedClock clock;
  std::unique_ptr<auth::Jwt> jwt;
  std::unique_ptr<http::StaticFiles> web;
  std::filesystem::path web_dir;
};
World* g_world = nullptr;

void write_file(const std::filesystem::path& p, const std::string& text) {
  std::filesystem::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << text;
}

bool inflates(const std::string& gz) {
  z_stream zs{};
  if (inflateInit2(&zs, 15 + 16) != Z_OK) return false;
  std::string out(64 * 1024, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
  zs.avail_in = static_cast<uInt>(gz.size());
  int rc = Z_OK;
  while (rc == Z_OK) {
    zs.next_out = reinterpret_cast<Bytef*>(out.data());
    zs.avail_out = static_cast<uInt>(out.size());
    rc = inflate(&zs, Z_NO_FLUSH);
  }
  inflateEnd(&zs);
  return rc == Z_STREAM_END && zs.avail_in == 0;
}

void check_response(const Request& req, const Response& res, bool head, bool keep_alive, unsigned version) {
  FUZZ_CHECK(res.status >= 100 && res.status <= 599, "status %d", res.status);
  const std::string* id = res.header("x-request-id");
  FUZZ_CHECK(id && *id == req.request_id, "X-Request-ID missing or not the request's");
  FUZZ_CHECK(!id->empty() && id->size() <= 128 && id->find_first_of(" \t\r\n\",;") == std::string::npos,
             "insane request id '%s'", id->c_str());
  const std::string* ct = res.header("content-type");
  const std::string* ce = res.header("content-encoding");
  if (ce) {
    FUZZ_CHECK(*ce == "gzip" && inflates(res.body), "gzip body does not inflate");
  } else if (ct && (*ct == "application/problem+json" || *ct == "application/json") && !res.stream) {
    FUZZ_CHECK(!nlohmann::json::parse(res.body, nullptr, false).is_discarded(), "%s body is not JSON: %s",
               ct->c_str(), res.body.substr(0, 200).c_str());
  }

  const std::string block = fuzz::server_serialize_head(res, head, keep_alive, version);
  FUZZ_CHECK(block.size() >= 4 && block.compare(block.size() - 4, 4, "\r\n\r\n") == 0, "head does not end in CRLFCRLF");
  FUZZ_CHECK(block.find("\r\n\r\n") == block.size() - 4, "empty line inside the head (response splitting)");
  for (std::size_t i = 0; i < block.size(); ++i) {
    if (block[i] == '\n') FUZZ_CHECK(i > 0 && block[i - 1] == '\r', "bare LF in the head at %zu", i);
    if (block[i] == '\r') FUZZ_CHECK(i + 1 < block.size() && block[i + 1] == '\n', "bare CR in the head at %zu", i);
  }
  bhttp::response_parser<bhttp::empty_body> parser;
  parser.skip(true);
  boost::system::error_code ec;
  parser.put(asio::buffer(block), ec);
  FUZZ_CHECK(!ec && parser.is_header_done(), "serialized head does not parse: %s\n%s", ec.message().c_str(),
             block.c_str());
  FUZZ_CHECK(static_cast<int>(parser.get().result_int()) == res.status, "status changed in serialization");
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  log::init("", log::Level::info, false);  // access-log lines are built, then dropped (no sinks)
  auto* w = new World();
  w->cfg.jwt_secret = kSecret;
  w->cfg.cors_origins = {"https://app.example.com", "http://localhost:5173"};
  w->cfg.trusted_proxies = {*net::parse_cidr("10.0.0.0/8"), *net::parse_cidr("::1")};
  w->cfg.trust_proxy_tls = true;
  // Small enough that four pipelined requests reach 429, and to keep the fuzzer's inputs small.
  w->cfg.ip_limit = LimitRule{3, std::chrono::minutes(15)};
  w->cfg.user_limit = LimitRule{3, std::chrono::minutes(15)};
  w->cfg.body_limit = 64 * 1024;
  w->cfg.gateway_body_limit = 256 * 1024;
  w->cfg.header_limit = 16 * 1024;
  w->jwt = std::make_unique<auth::Jwt>(auth::JwtSettings{kSecret}, w->clock);
  for (const auto& r : kRoutes) {
    const std::string pattern = r.pattern;
    w->router.add(r.method, pattern, pattern.rfind("/gw/", 0) == 0 ? gateway_handler : api_handler);
  }
  char tmpl[] = "/tmp/tollgate-fuzz-web-XXXXXX";
  if (::mkdtemp(tmpl)) {
    w->web_dir = tmpl;
    write_file(w->web_dir / "index.html", "<!doctype html><title>Tollgate</title><div id=root></div>" +
                                              std::string(1500, ' ') + "<script src=/assets/app-1a2b.js></script>");
    write_file(w->web_dir / "assets/app-1a2b.js", "console.log('tollgate');\n" + std::string(2048, ';'));
    write_file(w->web_dir / "robots.txt", "User-agent: *\n");
    write_file(w->web_dir / "favicon.ico", std::string("\0\0\1\0", 4));
    w->web = std::make_unique<http::StaticFiles>(w->web_dir.string());
  }
  g_world = w;
  std::atexit([] {
    std::error_code ec;
    if (g_world && !g_world->web_dir.empty()) std::filesystem::remove_all(g_world->web_dir, ec);
  });
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  World& w = *g_world;
  // First byte: how the bytes arrive (read_some piece size); the rest is the connection's input.
  const std::size_t chunk = (data[0] & 0x80) ? 1 + (data[0] & 0x7f) : std::size_t{1} << 20;
  InputStream stream(data + 1, size - 1, chunk);
  beast::flat_buffer buffer;
  // A fresh limiter per connection keeps inputs independent (the limiter's state is per process in the server).
  ratelimit::MemoryLimiter limiter(w.clock);
  http::Pipeline pipeline(w.cfg, w.router, limiter, w.clock, w.web.get());
  pipeline.set_identify([&w](Request& req) { auth::identify(*w.jwt, req); });

  const std::uint64_t header_body_limit = std::max<std::uint64_t>(w.cfg.body_limit, w.cfg.gateway_body_limit);
  for (int n = 0; n < 4; ++n) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(w.cfg.header_limit));
    parser.body_limit(header_body_limit);
    boost::system::error_code ec;
    bhttp::read_header(stream, buffer, parser, ec);
    std::optional<Error> refused;
    std::unique_ptr<bhttp::request_parser<bhttp::buffer_body>> streaming;
    if (!ec) {
      const auto target = parser.get().target();
      const bool gateway = target.size() >= 4 && target.substr(0, 4) == "/gw/";
      const auto length = parser.content_length();
      if (!gateway && length && *length > w.cfg.body_limit) {
        refused = Error::of(ErrorCode::PayloadTooLarge, "The request body is larger than allowed.");
      } else if (gateway && (parser.chunked() || (length && *length > fuzz::kServerStreamRequestAbove))) {
        streaming = std::make_unique<bhttp::request_parser<bhttp::buffer_body>>(std::move(parser));
        streaming->body_limit(w.cfg.gateway_body_limit);
      } else {
        parser.body_limit(gateway ? w.cfg.gateway_body_limit : w.cfg.body_limit);
        if (!parser.is_done()) bhttp::read(stream, buffer, parser, ec);
      }
    }
    if (ec == bhttp::error::end_of_stream) break;
    if (ec && !refused) refused = fuzz::server_parse_error(ec);
    if (ec || refused) {
      if (refused) {
        Request req = fuzz::server_head_request(parser, kPeer);
        Response res = pipeline.reject(req, *refused);
        check_response(req, res, false, false, 11);
      }
      break;
    }
    Request req;
    unsigned version = 11;
    std::shared_ptr<InputBody> body;
    if (streaming) {
      auto& msg = streaming->get();
      req.method = std::string(msg.method_string());
      req.target = std::string(msg.target());
      const auto q = req.target.find('?');
      req.path = req.target.substr(0, q);
      if (q != std::string::npos) req.query = req.target.substr(q + 1);
      for (const auto& f : msg) {
        std::string name(f.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        req.headers.emplace_back(std::move(name), std::string(f.value()));
      }
      req.peer_ip = kPeer;
      req.keep_alive = msg.keep_alive();
      if (auto len = streaming->content_length()) req.body_length = *len;
      version = msg.version();
      body = std::make_shared<InputBody>(stream, buffer, *streaming);
      req.body_stream = body;
    } else {
      req = fuzz::server_to_request(parser.get(), kPeer);
      version = parser.get().version();
    }
    Response res = fuzz::run(pipeline.handle(req));
    bool keep_alive = req.keep_alive;
    if (body && !body->finished()) keep_alive = false;
    if (res.stream && !res.stream_length && version == 10) keep_alive = false;
    check_response(req, res, req.method == "HEAD", keep_alive, version);
    if (!keep_alive) break;
  }
  return 0;
}
