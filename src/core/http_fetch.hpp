#pragma once
#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace tg {

// A blocking HTTP request over libcurl, for outbound calls to third-party APIs (Stripe, SendGrid). Run it on a
// worker pool (run_blocking), never on an I/O thread.
struct FetchRequest {
  std::string method = "GET";
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds timeout{20000};
  std::size_t max_response = 1024 * 1024;  // longer answers are cut here
};

struct FetchResponse {
  long status = 0;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  std::string body;
  const std::string* header(std::string_view name) const;
};

// Transport errors (resolve, connect, TLS, timeout) are ServiceUnavailable; any HTTP status is a response.
Result<FetchResponse> fetch(const FetchRequest& request);

// Shutdown: every libcurl transfer in progress (Stripe, SendGrid, SMTP) and every later one fails within about a
// second, so worker pools blocked on a peer that never answers do not hold the process past SHUTDOWN_GRACE.
void abort_outbound_calls();
// Makes a libcurl easy handle (a CURL*) obey abort_outbound_calls().
void make_abortable(void* curl_handle);

}  // namespace tg
