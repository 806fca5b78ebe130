#pragma once
#include <optional>
#include <string>

#include "core/async.hpp"
#include "core/error.hpp"
#include "db/db.hpp"

namespace tg::billing {

struct WebhookEvent {
  std::string stripe_event_id, type;
  std::optional<std::string> api_version;
  bool livemode = false;
  std::optional<std::int64_t> created_s;
  std::string payload;  // the verified raw body (a JSON object)
};

struct CustomerTarget {
  std::string organization_id, name, email, status;
  std::optional<std::string> stripe_customer_id;
};

// A Stripe subscription as fetched from Stripe (times in unix seconds, 0 = none).
struct StripeSubscription {
  std::string id, customer, status, price_id, interval = "month";
  std::string metadata_organization, metadata_plan;
  std::int64_t period_start = 0, period_end = 0, canceled_at = 0, ended_at = 0, trial_start = 0, trial_end = 0;
  bool cancel_at_period_end = false;
};

struct StoredEvent {
  std::string type, status, payload;
};

// The billing domain's SQL.
class BillingRepository {
 public:
  explicit BillingRepository(db::Database& db) : db_(db) {}
  // Stores a verified delivery once: true when it is new, false for a redelivery of a stored event.
  Task<Result<bool>> store_webhook_event(const WebhookEvent& e);
  Task<Result<std::optional<StoredEvent>>> webhook_event(const std::string& stripe_event_id);
  Task<Status> mark_event(const std::string& stripe_event_id, const std::string& status, const std::string& error);
  // Mirrors Stripe's state of a subscription into `subscriptions` (insert or update by its Stripe id; another
  // current subscription of the organization ends). Nothing is written when the customer's organization or the
  // price's plan is unknown: returns false then.
  Task<Result<bool>> apply_subscription(const StripeSubscription& s, int grace_days);
  // The public catalog (/api/plans): active, public plans in display order, as Plan JSON documents.
  Task<Result<std::string>> public_plans_json();
  // The organization's current subscription as a Subscription JSON document (Free when it has none).
  Task<Result<std::string>> subscription_json(const std::string& organization_id);
  // The organization a Stripe customer stands for (billing email, else the owner's); nothing when unknown.
  Task<Result<std::optional<CustomerTarget>>> customer_target(const std::string& organization_id);
  // Records the customer id unless one is already recorded; returns the id that is recorded now.
  Task<Result<std::string>> set_customer_id(const std::string& organization_id, const std::string& customer_id);

 private:
  db::Database& db_;
};

}  // namespace tg::billing
