#include "billing/plan_handlers.hpp"

#include "auth/auth_handlers.hpp"
#include "billing/billing_handlers.hpp"
#include "http/problem.hpp"

namespace tg::billing {

void register_plan_routes(http::Router& router, BillingRepository& repo, bool stripe_mode) {
  router.add("GET", "/api/plans", [&repo](http::Request& req) -> Task<http::Response> {
    auto plans = co_await repo.public_plans_json();
    if (!plans) co_return http::problem(plans.error(), req.request_id);
    http::Response res = http::Response::text(200, "{\"plans\":" + plans.value() + "}", "application/json");
    res.set("Cache-Control", "public, max-age=60");
    co_return res;
  });
  router.add("GET", "/api/user/subscription", [&repo, stripe_mode](http::Request& req) -> Task<http::Response> {
    if (req.user_id.empty() || req.account_id.empty()) co_return http::problem(auth::unauthorized(), req.request_id);
    co_return co_await subscription_response(repo, stripe_mode, req);
  });
}

}  // namespace tg::billing
