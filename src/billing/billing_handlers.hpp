#pragma once
#include "billing/billing_service.hpp"
#include "http/router.hpp"

namespace tg::billing {

// The customer's billing routes: checkout, plan change (preview + change), cancel/resume, portal, payment methods,
// invoices and the upcoming-invoice estimate, all for the active organization.
void register_billing_routes(http::Router& router, BillingService& svc);

// GET /api/user/subscription's answer (Subscription JSON with the billing mode), shared by the routes that change it.
Task<http::Response> subscription_response(BillingRepository& repo, bool stripe_mode, const http::Request& req);

}  // namespace tg::billing
