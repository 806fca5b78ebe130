#pragma once
#include <atomic>
#include <memory>

#include "core/clock.hpp"
#include "core/config.hpp"
#include "http/router.hpp"
#include "http/static_files.hpp"
#include "ratelimit/rate_limiter.hpp"

namespace tg::http {

// Everything between the socket and a handler, in order: request id, client IP, CORS, /api limiter, routing
// (then the SPA), and on the way out security headers, CORS and limiter headers, gzip, access log, metrics.
class Pipeline {
 public:
  Pipeline(const Config& cfg, const Router& router, ratelimit::RateLimiter& limiter, const Clock& clock,
           const StaticFiles* web);
  // Identifies the caller from credentials on the request (JWT); runs before the limiter so signed-in users get
  // their own bucket.
  void set_identify(std::function<void(Request&)> fn) { identify_ = std::move(fn); }
  // Resolves the active organization of a signed-in /api request (after the limiter, before the handler); an
  // error answers the request instead.
  void set_scope(std::function<Task<std::optional<Error>>(Request&)> fn) { scope_ = std::move(fn); }
  Task<Response> handle(Request& req);
  // For requests the transport rejects before they are complete (413, 431, 400): same headers and logs.
  Response reject(Request& req, const Error& error);

 private:
  void finish(Request& req, Response& res, std::chrono::steady_clock::time_point start);
  void prepare(Request& req);
  const Config& cfg_;
  const Router& router_;
  ratelimit::RateLimiter& limiter_;
  const Clock& clock_;
  const StaticFiles* web_;
  const std::string security_block_;
  std::function<void(Request&)> identify_;
  std::function<Task<std::optional<Error>>(Request&)> scope_;
};

}  // namespace tg::http
