#pragma once
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <nlohmann/json.hpp>
#include <string>

#include "core/async.hpp"
#include "core/error.hpp"

namespace tg::billing {

// Stripe's form encoding: nested objects as a[b], arrays as a[0], booleans as true/false; nulls are left out.
std::string form_encode(const nlohmann::json& params);

// The billing seam: every call to Stripe goes through it, so tests can inject a fake (or point the real client
// at the fake Stripe server). Errors: NotFound (404, cause "resource_missing"), PaymentRequired (card errors),
// ServiceUnavailable / Timeout (Stripe unreachable or failing after retries), BadGateway (anything else Stripe
// refused); `cause` carries Stripe's error type and code for the logs.
class BillingGateway {
 public:
  virtual ~BillingGateway() = default;
  // `idempotency_key` is required for POST (Stripe replays the first answer for a repeated key).
  // By reference, and callers name every argument first: no temporaries inside a co_await (GCC 12, see
  // docs/architecture.md).
  virtual Task<Result<nlohmann::json>> call(const std::string& method, const std::string& path,
                                            const nlohmann::json& params, const std::string& idempotency_key) = 0;
};

struct StripeOptions {
  std::string api_base = "https://api.stripe.com";
  std::string secret_key;
  std::chrono::milliseconds timeout{20000};
  int max_retries = 3;
  std::chrono::milliseconds first_backoff{500};
};

// The pinned API version: Stripe answers in this shape whatever the account's default is.
inline constexpr const char* kStripeVersion = "2024-06-20";

// REST over libcurl on a worker pool. Retries network errors, 409, 429 and 5xx with exponential backoff and
// jitter, and follows `Stripe-Should-Retry` when Stripe sends it; the same Idempotency-Key on every attempt.
class StripeClient final : public BillingGateway {
 public:
  StripeClient(StripeOptions options, asio::thread_pool& pool) : o_(std::move(options)), pool_(pool) {}
  Task<Result<nlohmann::json>> call(const std::string& method, const std::string& path, const nlohmann::json& params,
                                    const std::string& idempotency_key) override;

 private:
  StripeOptions o_;
  asio::thread_pool& pool_;
};

}  // namespace tg::billing
