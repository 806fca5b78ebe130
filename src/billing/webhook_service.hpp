#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "billing/billing_repository.hpp"
#include "core/clock.hpp"
#include "http/router.hpp"

namespace tg::billing {

struct WebhookReceipt {
  std::string event_id;
  bool duplicate = false;
};

// Stripe webhook intake: signature first (raw body), then the event's envelope, then one row in
// stripe_webhook_events (a redelivery is acknowledged without a second row). The events are processed from that
// table, not in the request, so Stripe gets its 2xx at once.
class WebhookService {
 public:
  WebhookService(BillingRepository& repo, std::vector<std::string> secrets, const Clock& clock)
      : repo_(repo), secrets_(std::move(secrets)), clock_(clock) {}
  bool configured() const { return !secrets_.empty(); }
  Task<Result<WebhookReceipt>> receive(std::string_view signature_header, std::string_view payload);

 private:
  BillingRepository& repo_;
  std::vector<std::string> secrets_;
  const Clock& clock_;
};

// POST /api/stripe/webhook.
void register_routes(http::Router& router, WebhookService& webhooks);

}  // namespace tg::billing
