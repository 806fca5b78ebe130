#pragma once
#include <nlohmann/json.hpp>

#include "billing/billing_repository.hpp"
#include "billing/stripe_client.hpp"

namespace tg::billing {

// The `stripe.create_customer` and `stripe.delete_customer` jobs (queued by registration and account deletion).
// Without a BillingGateway (local billing mode, no STRIPE_SECRET_KEY) they complete without calling anyone.
class CustomerSync {
 public:
  CustomerSync(BillingRepository& repo, BillingGateway* stripe) : repo_(repo), stripe_(stripe) {}
  Task<Status> create(const nlohmann::json& payload);
  Task<Status> remove(const nlohmann::json& payload);
  // The organization's Stripe customer, created now when it has none (the same idempotency key as the job, so
  // the job and a checkout racing it end with one customer). Needs a gateway.
  Task<Result<std::string>> ensure(const std::string& organization_id);

 private:
  BillingRepository& repo_;
  BillingGateway* stripe_;
};

}  // namespace tg::billing
