#pragma once
#include <nlohmann/json.hpp>

#include "auth/auth_service.hpp"
#include "billing/billing_repository.hpp"
#include "billing/stripe_client.hpp"
#include "http/router.hpp"

namespace tg::billing {

// Checks a complete plan document (PlanInput shape, every field present) and records field errors; `creating`
// also checks the slug. Pure, so it is unit-tested without a database.
void validate_plan(const nlohmann::json& plan, bool creating, std::vector<FieldError>& errors);
// A create body with the documented defaults filled in (the caller validates the result).
nlohmann::json plan_with_defaults(const nlohmann::json& body);

// GET/POST /api/admin/plans and PATCH /api/admin/plans/{id} (admin with 2FA). In Stripe mode every change queues a
// `stripe.sync_plan` job in the same statement.
void register_plan_admin_routes(http::Router& router, auth::AuthService& auth, BillingRepository& repo,
                                bool stripe_mode);

// POST /api/admin/invoices/{id}/mark-paid (local invoices; admin with 2FA; reason required and audited).
void register_invoice_admin_routes(http::Router& router, auth::AuthService& auth, BillingRepository& repo);

// The `stripe.sync_plan` job: makes Stripe's Product, Prices (monthly, annual, metered) and Billing Meter match
// the plan. Prices are immutable at Stripe: a changed amount gets a new Price (the old one is archived; current
// subscribers keep it until they change plan). Every POST has an idempotency key derived from the plan and the
// amounts, so a repeated job creates nothing twice.
class PlanSyncJob {
 public:
  PlanSyncJob(BillingRepository& repo, BillingGateway* stripe) : repo_(repo), stripe_(stripe) {}
  Task<Status> run(const nlohmann::json& payload);

 private:
  // The id of a price with these terms: `current` when it still matches, else a new one (and `current` archived).
  Task<Result<std::string>> ensure_price(const PlanSync& p, const std::string& current, const nlohmann::json& terms,
                                         const std::string& key);
  Task<Status> archive_price(const std::string& price_id);
  BillingRepository& repo_;
  BillingGateway* stripe_;
};

// minor / block as a decimal string with at most 12 places (Stripe's unit_amount_decimal), rounded half up.
std::string unit_decimal(std::int64_t minor, std::int64_t block);

// The meter event name a usage-priced plan reports to (one meter per plan).
std::string meter_event_name(const std::string& plan_slug);

}  // namespace tg::billing
