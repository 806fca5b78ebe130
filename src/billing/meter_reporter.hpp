#pragma once
#include "billing/billing_repository.hpp"
#include "billing/stripe_client.hpp"

namespace tg::billing {

// Reports usage-priced plans' overage to Stripe Billing Meters, from the hourly rollups (periodic, Stripe mode).
// Each organization × UTC hour gets a ledger row (usage_meter_reports) with a deterministic identifier before
// anything is sent; the identifier is also the meter event's `identifier` and the Idempotency-Key, so a resend
// after a crash or timeout is deduplicated by Stripe and by the ledger. Only whole hours are reported; units
// that arrive late for a reported hour become a further row (seq + 1). The cursor (billing_cursors
// 'stripe.meter_events') is the hour up to which everything was sent; the next run rescans the 35 days before it
// (as far back as Stripe accepts meter events).
class MeterReporter {
 public:
  MeterReporter(BillingRepository& repo, BillingGateway* stripe) : repo_(repo), stripe_(stripe) {}
  // One round at wall-clock second `now_s`.
  Task<Status> run_once(std::int64_t now_s);

 private:
  BillingRepository& repo_;
  BillingGateway* stripe_;
};

}  // namespace tg::billing
