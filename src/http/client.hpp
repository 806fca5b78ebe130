#pragma once
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "core/async.hpp"
#include "core/error.hpp"
#include "http/message.hpp"

namespace tg::http {

struct Upstream {
  bool tls = false;
  std::string host;
  std::uint16_t port = 80;
  std::string base_path;  // without a trailing slash
};

// http://host[:port][/base] or https://host[:port][/base].
Result<Upstream> parse_upstream(std::string_view url);

struct ClientOptions {
  // PEM file of extra certificate authorities trusted for https upstreams, on top of the system store
  // (UPSTREAM_CA_FILE; a private CA or a test certificate).
  std::string ca_file;
};
// Called once at start-up, before any request; fails when the CA file cannot be loaded.
Status configure_client(const ClientOptions& options);

struct ClientRequest {
  std::string method, target;  // target: path + query, appended to the upstream's base path
  Headers headers;             // forwarded as they are (the caller filters)
  std::string body;
  // Instead of `body`: a large body passed on while it is read (sent with its length when known, else chunked;
  // always on a fresh connection, and never retried, since it cannot be read twice).
  std::shared_ptr<BodyStream> body_stream;
  std::optional<std::uint64_t> body_length;
  // Covers connect, TLS handshake, writing and the answer's head; then each wait for more of a streamed body.
  std::chrono::milliseconds timeout{30000};
  // Answers up to this size are read whole (exact size known before anything is sent on); larger ones stream.
  std::size_t buffer_limit = 1024 * 1024;
};

struct ClientResponse {
  int status = 0;
  Headers headers;                              // lower-case names
  std::string body;                             // the whole body, or its first buffer_limit bytes when `rest` is set
  std::shared_ptr<BodyStream> rest;             // the remainder of a larger body, read as it is written on
  std::optional<std::uint64_t> content_length;  // as the upstream declared it
};

// HTTP/1.1 client on the calling thread's io_context (Beast stays inside src/http/). Keep-alive connections (plain
// or TLS, certificates and host names verified) are pooled per thread and upstream; a connection goes back to the
// pool once its answer has been read to the end. A request that fails on a reused connection before any byte of an
// answer is retried once on a fresh one, for idempotent methods only. Errors: Timeout and ServiceUnavailable
// (resolve, connect, TLS, reset, malformed answer).
Task<Result<ClientResponse>> send(const Upstream& upstream, const ClientRequest& request);

}  // namespace tg::http
