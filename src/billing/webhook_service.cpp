#include "billing/webhook_service.hpp"

#include "http/body.hpp"

#include <nlohmann/json.hpp>

#include "billing/webhook_signature.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "http/problem.hpp"

namespace tg::billing {
namespace {
metrics::Counter& intake(const char* outcome) {
  static auto& accepted = metrics::registry().counter(
      "tollgate_stripe_webhooks_total", "Stripe webhook deliveries by outcome", {{"outcome", "accepted"}});
  static auto& duplicate = metrics::registry().counter(
      "tollgate_stripe_webhooks_total", "Stripe webhook deliveries by outcome", {{"outcome", "duplicate"}});
  static auto& bad_signature = metrics::registry().counter(
      "tollgate_stripe_webhooks_total", "Stripe webhook deliveries by outcome", {{"outcome", "invalid_signature"}});
  static auto& bad_payload = metrics::registry().counter(
      "tollgate_stripe_webhooks_total", "Stripe webhook deliveries by outcome", {{"outcome", "invalid_payload"}});
  const std::string_view o(outcome);
  if (o == "accepted") return accepted;
  if (o == "duplicate") return duplicate;
  if (o == "invalid_signature") return bad_signature;
  return bad_payload;
}

Error bad_event(std::string detail) {
  return Error::coded(ErrorCode::BadRequest, "INVALID_WEBHOOK_EVENT", std::move(detail));
}
}  // namespace

Task<Result<WebhookReceipt>> WebhookService::receive(std::string_view signature_header, std::string_view payload) {
  const std::int64_t now_s = clock_.now_ms() / 1000;
  if (auto ok = verify_stripe_signature(signature_header, payload, secrets_, now_s); !ok) {
    intake("invalid_signature").inc();
    co_return ok.error();
  }
  // Signed by Stripe, but still checked: it is stored (as jsonb, which refuses deep nesting) and later trusted.
  nlohmann::json j;
  if (http::json_depth_within(payload, http::kMaxJsonDepth)) j = nlohmann::json::parse(payload, nullptr, false);
  WebhookEvent e;
  if (j.is_discarded() || !j.is_object()) {
    intake("invalid_payload").inc();
    co_return bad_event("The event is not a JSON object.");
  }
  const auto str = [&j](const char* k) -> const nlohmann::json* {
    auto it = j.find(k);
    return it != j.end() && it->is_string() ? &*it : nullptr;
  };
  const auto* id = str("id");
  const auto* type = str("type");
  if (!id || id->get_ref<const std::string&>().empty() || id->get_ref<const std::string&>().size() > 255 || !type ||
      type->get_ref<const std::string&>().empty() || type->get_ref<const std::string&>().size() > 255) {
    intake("invalid_payload").inc();
    co_return bad_event("The event needs an `id` and a `type`.");
  }
  if (auto o = j.find("object"); o != j.end() && *o != "event") {
    intake("invalid_payload").inc();
    co_return bad_event("The payload is not an event.");
  }
  e.stripe_event_id = id->get<std::string>();
  e.type = type->get<std::string>();
  if (const auto* v = str("api_version")) e.api_version = v->get<std::string>();
  if (auto l = j.find("livemode"); l != j.end() && l->is_boolean()) e.livemode = l->get<bool>();
  if (auto c = j.find("created"); c != j.end() && c->is_number_integer()) e.created_s = c->get<std::int64_t>();
  e.payload = std::string(payload);
  auto stored = co_await repo_.store_webhook_event(e);
  if (!stored) co_return stored.error();
  intake(stored.value() ? "accepted" : "duplicate").inc();
  log::info("stripe webhook received",
            {{"event", e.stripe_event_id}, {"type", e.type}, {"duplicate", !stored.value()}});
  WebhookReceipt receipt;
  receipt.event_id = e.stripe_event_id;
  receipt.duplicate = !stored.value();
  co_return receipt;
}

void register_routes(http::Router& router, WebhookService& webhooks) {
  router.add("POST", "/api/stripe/webhook", [&webhooks](http::Request& req) -> Task<http::Response> {
    if (!webhooks.configured()) {
      co_return http::problem(Error::coded(ErrorCode::ServiceUnavailable, "WEBHOOKS_NOT_CONFIGURED",
                                           "Stripe webhooks are not configured (STRIPE_WEBHOOK_SECRET)."),
                              req.request_id);
    }
    std::string_view signature;
    if (const auto* h = req.header("stripe-signature")) signature = *h;
    auto receipt = co_await webhooks.receive(signature, req.body);
    if (!receipt) co_return http::problem(receipt.error(), req.request_id);
    nlohmann::json body = {{"received", true}, {"id", receipt->event_id}, {"duplicate", receipt->duplicate}};
    co_return http::Response::json(200, body);
  });
}

}  // namespace tg::billing
