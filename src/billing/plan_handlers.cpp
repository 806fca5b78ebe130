#include "billing/plan_handlers.hpp"

#include "auth/auth_handlers.hpp"
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
    auto sub = co_await repo.subscription_json(req.account_id);
    if (!sub) co_return http::problem(sub.error(), req.request_id);
    std::string body = sub.value();
    body.pop_back();  // the closing brace: the billing mode is added here, not in SQL
    body += stripe_mode ? ", \"billingMode\": \"stripe\"}" : ", \"billingMode\": \"local\"}";
    http::Response res = http::Response::text(200, std::move(body), "application/json");
    res.set("Cache-Control", "no-store");
    co_return res;
  });
}

}  // namespace tg::billing
