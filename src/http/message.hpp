#pragma once
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/async.hpp"
#include "core/error.hpp"

// Framework-free request/response: handlers and middleware see these, never Beast types,
// so they are unit-testable without sockets.
namespace tg::http {

using Headers = std::vector<std::pair<std::string, std::string>>;  // names lower-case

bool iequals(std::string_view a, std::string_view b);

// A body passed on while it is read: a proxied answer larger than the gateway buffers, or a large request body
// on its way to an upstream.
class BodyStream {
 public:
  virtual ~BodyStream() = default;
  // The next piece; an empty string at the end. An error ends the response early (the connection is closed,
  // which tells the client the body is incomplete).
  virtual Task<Result<std::string>> next() = 0;
  // Bytes handed out so far.
  virtual std::uint64_t transferred() const { return 0; }
};

struct Request {
  std::string method;  // upper-case token, e.g. "GET"
  std::string target;  // raw request-target
  std::string path;    // target without the query
  std::string query;   // without '?'
  Headers headers;
  std::string body;
  std::string peer_ip;    // socket peer
  std::string client_ip;  // after TRUSTED_PROXIES handling
  std::string request_id;
  std::string_view route;  // matched pattern (owned by the Router) or a literal; "" when unmatched
  std::vector<std::pair<std::string, std::string>> params;
  std::string user_id;     // set by auth once known, for logs and the per-user limiter
  std::string account_id;  // active organization, when known
  std::string org_role;    // the caller's role in it (OWNER / ADMIN / MEMBER / BILLING), once resolved
  std::string role;        // USER / ADMIN, when authenticated
  std::string session_id;  // sid claim of the access token, when authenticated
  // Set when the access token is an administrator's read-only "view as customer" token: user_id is the customer.
  std::string impersonation_id;
  std::string impersonator_id;
  // Set instead of `body` for a large gateway request body (the handler reads it while proxying).
  std::shared_ptr<BodyStream> body_stream;
  std::optional<std::uint64_t> body_length;  // its Content-Length, when declared
  bool keep_alive = true;

  const std::string* header(std::string_view name) const;
  std::string_view param(std::string_view name) const;
  std::optional<std::string> query_param(std::string_view name) const;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;  // the whole body, or its first part when `stream` is set
  std::shared_ptr<BodyStream> stream;
  std::optional<std::uint64_t> stream_length;  // total length (body + stream) when known: Content-Length
  // Pre-formatted header lines ("Name: value\r\n...") the transport writes verbatim: the constant security
  // headers, formatted once per process instead of once per request. Must outlive the write (it points into the
  // Pipeline).
  std::string_view raw_headers;
  // Set by the gateway: headers the upstream sent win over the constant block (which then skips them).
  bool passthrough = false;
  std::string raw_owned;  // the filtered block of a passthrough response, when it differs

  void set(std::string name, std::string value);  // replaces
  void add(std::string name, std::string value);  // appends (Vary, Set-Cookie)
  const std::string* header(std::string_view name) const;

  static Response json(int status, const nlohmann::json& body);
  static Response text(int status, std::string body, std::string content_type = "text/plain; charset=utf-8");
  static Response empty(int status);
};

}  // namespace tg::http
