#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "http/message.hpp"

namespace tg::verify {

struct VerifyInput {
  std::string key, endpoint, method;
  std::int64_t cost = 1;
  // The gateway's per-endpoint limit (per key), checked after the key's own limit and before the quota.
  std::string endpoint_id;
  std::int64_t endpoint_rate_limit = 0;
};

// The body of POST /v1/keys/verify: {"key", "endpoint"?, "method"?, "cost"?}. Bad bodies are 4xx errors (415,
// 400 malformed JSON, 422 with field errors).
Result<VerifyInput> parse_verify_body(const http::Request& req);

// The common case without building a JSON document: a flat object of the four known fields, each at most once,
// strings of printable ASCII without escapes and within their limits, cost a plain integer in range. Returns false
// for anything else (without touching `in` in a way that matters), and the caller falls back to the full parser,
// so every answer, including every error, is the full parser's.
bool parse_verify_body_fast(std::string_view content_type, std::string_view body, VerifyInput& in);

}  // namespace tg::verify
