#pragma once
#include "billing/billing_repository.hpp"
#include "http/router.hpp"

namespace tg::billing {

// GET /api/plans (public catalog) and GET /api/user/subscription (the active organization's plan and state).
// `stripe_mode` tells the client which billing mode is active (the UI says so).
void register_plan_routes(http::Router& router, BillingRepository& repo, bool stripe_mode);

}  // namespace tg::billing
