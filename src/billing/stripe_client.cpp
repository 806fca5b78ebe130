#include "billing/stripe_client.hpp"

#include <sodium.h>

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <cctype>

#include "core/http_fetch.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"

namespace tg::billing {
namespace {

std::string url_escape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

void encode(const std::string& key, const nlohmann::json& v, std::string& out) {
  if (v.is_null()) return;
  if (v.is_object()) {
    for (const auto& [k, item] : v.items()) encode(key.empty() ? k : key + "[" + k + "]", item, out);
    return;
  }
  if (v.is_array()) {
    std::size_t i = 0;
    for (const auto& item : v) encode(key + "[" + std::to_string(i++) + "]", item, out);
    return;
  }
  if (!out.empty()) out += '&';
  out += url_escape(key);
  out += '=';
  if (v.is_string()) {
    out += url_escape(v.get_ref<const std::string&>());
  } else if (v.is_boolean()) {
    out += v.get<bool>() ? "true" : "false";
  } else {
    out += url_escape(v.dump());
  }
}

// /v1/customers/cus_123/payment_methods → /v1/customers/{id}/payment_methods: bounded metric labels.
std::string endpoint_label(const std::string& method, const std::string& path) {
  std::string out = method + " ";
  std::size_t start = 0;
  const std::string_view p = std::string_view(path).substr(0, path.find('?'));
  while (start < p.size()) {
    auto slash = p.find('/', start + 1);
    if (slash == std::string_view::npos) slash = p.size();
    const std::string_view seg = p.substr(start + 1, slash - start - 1);
    const auto us = seg.find('_');
    const bool id = us != std::string_view::npos && us > 0 && us + 8 < seg.size() &&
                    std::all_of(seg.begin(), seg.end(),
                                [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; });
    out += "/";
    out += id ? std::string("{id}") : std::string(seg);
    start = slash;
  }
  return out;
}

void count(const std::string& endpoint, const char* outcome, double seconds) {
  metrics::registry()
      .counter("tollgate_stripe_api_requests_total", "Stripe API calls by endpoint and outcome",
               {{"endpoint", endpoint}, {"outcome", outcome}})
      .inc();
  metrics::registry()
      .histogram("tollgate_stripe_api_duration_seconds", "Stripe API call latency", {{"endpoint", endpoint}})
      .observe(seconds);
}

Error stripe_error(long status, const nlohmann::json& body) {
  std::string type, code, message = "Stripe refused the request.";
  if (body.is_object() && body.contains("error") && body["error"].is_object()) {
    const auto& e = body["error"];
    if (e.contains("type") && e["type"].is_string()) type = e["type"].get<std::string>();
    if (e.contains("code") && e["code"].is_string()) code = e["code"].get<std::string>();
    if (e.contains("message") && e["message"].is_string()) message = e["message"].get<std::string>();
  }
  Error err = Error::coded(ErrorCode::BadGateway, "STRIPE_ERROR", "Stripe: " + message);
  if (status == 404) err = Error::coded(ErrorCode::NotFound, "STRIPE_RESOURCE_MISSING", "Stripe: " + message);
  if (status == 402 || type == "card_error")
    err = Error::coded(ErrorCode::PaymentRequired, "PAYMENT_FAILED", "Stripe: " + message);
  if (status == 429 || status >= 500)
    err = Error::coded(ErrorCode::ServiceUnavailable, "STRIPE_UNAVAILABLE", "Stripe is not answering; try again.");
  err.cause = "stripe " + std::to_string(status) + " " + type + (code.empty() ? "" : " " + code);
  return err;
}
}  // namespace

std::string form_encode(const nlohmann::json& params) {
  std::string out;
  encode("", params, out);
  return out;
}

Task<Result<nlohmann::json>> StripeClient::call(const std::string& method, const std::string& path,
                                                const nlohmann::json& params, const std::string& idempotency_key) {
  const std::string endpoint = endpoint_label(method, path);
  FetchRequest req;
  req.method = method;
  req.url = o_.api_base + path;
  req.timeout = o_.timeout;
  req.headers = {"Authorization: Bearer " + o_.secret_key, std::string("Stripe-Version: ") + kStripeVersion,
                 "User-Agent: Tollgate"};
  const std::string form = form_encode(params);
  if (method == "GET" || method == "DELETE") {
    if (!form.empty()) req.url += (path.find('?') == std::string::npos ? "?" : "&") + form;
  } else {
    req.body = form;
    req.headers.push_back("Content-Type: application/x-www-form-urlencoded");
    if (!idempotency_key.empty()) req.headers.push_back("Idempotency-Key: " + idempotency_key);
  }
  auto ex = co_await asio::this_coro::executor;
  std::chrono::milliseconds backoff = o_.first_backoff;
  for (int attempt = 0;; ++attempt) {
    const auto started = std::chrono::steady_clock::now();
    // Named, not a temporary inside the co_await (GCC 12 coroutine rules, docs/architecture.md).
    auto job = [req] { return fetch(req); };
    auto res = co_await run_blocking<Result<FetchResponse>>(pool_, job);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    bool retry = false;
    Error failure;
    if (!res) {
      failure = res.error();
      failure.cause = failure.detail;
      failure.detail = "Stripe is not answering; try again.";
      if (failure.code != ErrorCode::Timeout) failure.code = ErrorCode::ServiceUnavailable;
      failure.public_code = "STRIPE_UNAVAILABLE";
      retry = true;
    } else {
      auto body = nlohmann::json::parse(res->body, nullptr, false);
      if (res->status >= 200 && res->status < 300 && !body.is_discarded()) {
        count(endpoint, "ok", seconds);
        co_return body;
      }
      failure = stripe_error(res->status, body.is_discarded() ? nlohmann::json() : body);
      retry = res->status == 409 || res->status == 429 || res->status >= 500;
      if (const auto* should = res->header("stripe-should-retry")) retry = *should == "true";
    }
    if (!retry || attempt >= o_.max_retries) {
      count(endpoint, retry ? "unavailable" : "error", seconds);
      log::warn("stripe call failed", {{"endpoint", endpoint}, {"attempts", attempt + 1}, {"cause", failure.cause}});
      co_return failure;
    }
    count(endpoint, "retried", seconds);
    // Exponential backoff with jitter (up to +50 %), so instances retrying together spread out.
    const auto jitter =
        std::chrono::milliseconds(randombytes_uniform(static_cast<std::uint32_t>(backoff.count() / 2 + 1)));
    asio::steady_timer timer(ex, backoff + jitter);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    backoff *= 2;
  }
}

}  // namespace tg::billing
