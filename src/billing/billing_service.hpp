#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "billing/billing_repository.hpp"
#include "billing/customer_sync.hpp"
#include "billing/stripe_client.hpp"

namespace tg::billing {

// Who asks: the signed-in user acting for their active organization.
struct BillingActor {
  std::string user_id, organization_id, request_id;
};

// The rules of the customer-facing billing flows. With a BillingGateway (Stripe mode) Stripe holds the payment
// state and every change goes through it, then is mirrored at once (the webhooks confirm it later); without one
// (local mode) changes apply to the local tables directly.
class BillingService {
 public:
  BillingService(BillingRepository& repo, CustomerSync& customers, BillingGateway* stripe, std::string public_url,
                 int grace_days)
      : repo_(repo), customers_(customers), stripe_(stripe), public_url_(std::move(public_url)),
        grace_days_(grace_days) {}

  bool stripe_mode() const { return stripe_ != nullptr; }
  BillingRepository& repository() { return repo_; }

  // Stripe Checkout (subscription mode) for an organization without a Stripe subscription: {id, url}.
  Task<Result<nlohmann::json>> checkout(const BillingActor& a, const std::string& plan, const std::string& interval);
  // What a plan change costs now (PlanChangePreview without billingMode/plan).
  Task<Result<nlohmann::json>> preview(const BillingActor& a, const std::string& plan, const std::string& interval);
  // In-place plan change; `proration_date` from a preview so the charge equals it.
  Task<Status> change(const BillingActor& a, const std::string& plan, const std::string& interval,
                      std::optional<std::int64_t> proration_date);
  // Cancel at period end (true) or undo it (false).
  Task<Status> set_cancel(const BillingActor& a, bool cancel);
  Task<Result<nlohmann::json>> portal(const BillingActor& a);
  // PaymentMethodList without billingMode.
  Task<Result<nlohmann::json>> payment_methods(const BillingActor& a);
  Task<Result<nlohmann::json>> setup_payment_method(const BillingActor& a);
  Task<Status> set_default_payment_method(const BillingActor& a, const std::string& payment_method_id);
  Task<Status> remove_payment_method(const BillingActor& a, const std::string& payment_method_id);

 private:
  // The plan a customer may choose, with its Stripe price ids when `for_stripe` (typed errors otherwise).
  Task<Result<PlanRef>> choosable_plan(const std::string& plan, const std::string& interval, bool for_stripe);
  // The organization's Stripe subscription, fetched (409 NO_SUBSCRIPTION when it has none).
  Task<Result<nlohmann::json>> stripe_subscription(const BillingState& st);
  // Mirrors a subscription object Stripe just answered.
  Task<Status> mirror(const nlohmann::json& subscription);
  // The customer's card, checked to belong to this organization's customer (404 otherwise).
  Task<Result<std::string>> owned_payment_method(const BillingActor& a, const std::string& payment_method_id);

  BillingRepository& repo_;
  CustomerSync& customers_;
  BillingGateway* stripe_;
  std::string public_url_;
  int grace_days_;
};

// Stripe's items change for moving `subscription` to `plan`'s prices: the licensed item gets the new base price
// (or is deleted for a usage-only plan), the metered item is swapped when the metered price differs.
nlohmann::json plan_change_items(const nlohmann::json& subscription, const PlanRef& plan, const std::string& interval);

}  // namespace tg::billing
