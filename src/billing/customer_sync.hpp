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

 private:
  BillingRepository& repo_;
  BillingGateway* stripe_;
};

}  // namespace tg::billing
