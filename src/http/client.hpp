#pragma once
#include <chrono>
#include <cstdint>
#include <string>

#include "core/async.hpp"
#include "core/error.hpp"
#include "http/message.hpp"

namespace tg::http {

struct Upstream {
  std::string host;
  std::uint16_t port = 80;
  std::string base_path;  // without a trailing slash
};

// http://host[:port][/base]. https upstreams are not supported yet (see the issue notes).
Result<Upstream> parse_upstream(std::string_view url);

struct ClientRequest {
  std::string method, target;  // target: path + query, appended to the upstream's base path
  Headers headers;             // forwarded as they are (the caller filters)
  std::string body;
  std::chrono::milliseconds timeout{30000};
  std::size_t response_limit = 8 * 1024 * 1024;
};

struct ClientResponse {
  int status = 0;
  Headers headers;  // lower-case names
  std::string body;
};

// HTTP/1.1 client on the calling thread's io_context (Beast stays inside src/http/). Keep-alive connections are
// pooled per thread and upstream; a request that fails on a reused connection before any byte of an answer is
// retried once on a fresh one (the upstream closed an idle connection). Errors: Timeout (the deadline covers
// connect, write and read) and ServiceUnavailable (resolve, connect, reset, malformed answer).
Task<Result<ClientResponse>> send(const Upstream& upstream, const ClientRequest& request);

}  // namespace tg::http
