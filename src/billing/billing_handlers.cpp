#include "billing/billing_handlers.hpp"

#include <cctype>
#include <charconv>

#include "auth/auth_handlers.hpp"
#include "http/body.hpp"
#include "http/problem.hpp"
#include "orgs/permissions.hpp"

namespace tg::billing {
using http::Request;
using http::Response;
using nlohmann::json;

namespace {
struct PlanChoice {
  std::string plan, interval = "month";
  std::optional<std::int64_t> proration_date;
};

Result<PlanChoice> plan_choice(const Request& req) {
  auto body = http::json_object_body(req, {"plan", "interval", "prorationDate"});
  if (!body) return body.error();
  http::Validator v(*body);
  PlanChoice c;
  c.plan = v.string("plan", true, 1, 100);
  if (body->contains("interval")) {
    c.interval = v.string("interval", true, 1, 10);
    if (!c.interval.empty() && c.interval != "month" && c.interval != "year") v.fail("interval", "must be month or year");
  }
  if (body->contains("prorationDate")) {
    const auto& d = (*body)["prorationDate"];
    if (!d.is_number_integer() || d.get<std::int64_t>() <= 0) v.fail("prorationDate", "must be unix seconds from a preview");
    else c.proration_date = d.get<std::int64_t>();
  }
  if (!v.ok()) return v.error();
  return c;
}

BillingActor actor_of(const Request& req) {
  return BillingActor{req.user_id, req.account_id, req.request_id};
}

bool signed_in(const Request& req) {
  return !req.user_id.empty() && !req.account_id.empty();
}

Response no_store(Response res) {
  res.set("Cache-Control", "no-store");
  return res;
}

bool payment_method_id(std::string_view id) {
  if (id.size() < 4 || id.size() > 203 || id.substr(0, 3) != "pm_") return false;
  for (char c : id.substr(3))
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
  return true;
}
}  // namespace

Task<Response> subscription_response(BillingRepository& repo, bool stripe_mode, const Request& req) {
  auto sub = co_await repo.subscription_json(req.account_id);
  if (!sub) co_return http::problem(sub.error(), req.request_id);
  std::string body = sub.value();
  body.pop_back();  // the closing brace: the billing mode is added here, not in SQL
  body += stripe_mode ? ", \"billingMode\": \"stripe\"}" : ", \"billingMode\": \"local\"}";
  co_return no_store(Response::text(200, std::move(body), "application/json"));
}

void register_billing_routes(http::Router& router, BillingService& svc) {
  const char* mode = svc.stripe_mode() ? "stripe" : "local";

  router.add("POST", "/api/user/subscription/checkout", [&svc](Request& req) -> Task<Response> {
    if (!signed_in(req)) co_return http::problem(auth::unauthorized(), req.request_id);
    if (auto denied = orgs::require(req.org_role, orgs::Permission::manage_billing))
      co_return http::problem(*denied, req.request_id);
    auto c = plan_choice(req);
    if (!c) co_return http::problem(c.error(), req.request_id);
    const BillingActor a = actor_of(req);
    auto r = co_await svc.checkout(a, c->plan, c->interval);
    if (!r) co_return http::problem(r.error(), req.request_id);
    co_return no_store(Response::json(200, r.value()));
  });

  router.add("POST", "/api/user/subscription/preview", [&svc, mode](Request& req) -> Task<Response> {
    if (!signed_in(req)) co_return http::problem(auth::unauthorized(), req.request_id);
    if (auto denied = orgs::require(req.org_role, orgs::Permission::manage_billing))
      co_return http::problem(*denied, req.request_id);
    auto c = plan_choice(req);
    if (!c) co_return http::problem(c.error(), req.request_id);
    const BillingActor a = actor_of(req);
    auto r = co_await svc.preview(a, c->plan, c->interval);
    if (!r) co_return http::problem(r.error(), req.request_id);
    auto plans = co_await svc.repository().plan_json(c->plan);
    if (!plans) co_return http::problem(plans.error(), req.request_id);
    json out = r.value();
    out["billingMode"] = mode;
    out["plan"] = plans.value();
    co_return no_store(Response::json(200, out));
  });

  router.add("POST", "/api/user/subscription/change", [&svc](Request& req) -> Task<Response> {
    if (!signed_in(req)) co_return http::problem(auth::unauthorized(), req.request_id);
    if (auto denied = orgs::require(req.org_role, orgs::Permission::manage_billing))
      co_return http::problem(*denied, req.request_id);
    auto c = plan_choice(req);
    if (!c) co_return http::problem(c.error(), req.request_id);
    const BillingActor a = actor_of(req);
    auto r = co_await svc.change(a, c->plan, c->interval, c->proration_date);
    if (!r) co_return http::problem(r.error(), req.request_id);
    co_return co_await subscription_response(svc.repository(), svc.stripe_mode(), req);
  });

  for (const bool cancel : {true, false}) {
    const char* path = cancel ? "/api/user/subscription/cancel" : "/api/user/subscription/resume";
    router.add("POST", path, [&svc, cancel](Request& req) -> Task<Response> {
      if (!signed_in(req)) co_return http::problem(auth::unauthorized(), req.request_id);
      if (auto denied = orgs::require(req.org_role, orgs::Permission::manage_billing))
        co_return http::problem(*denied, req.request_id);
      const BillingActor a = actor_of(req);
      auto r = co_await svc.set_cancel(a, cancel);
      if (!r) co_return http::problem(r.error(), req.request_id);
      co_return co_await subscription_response(svc.repository(), svc.stripe_mode(), req);
    });
  }

  router.add("POST", "/api/user/billing/portal", [&svc](Request& req) -> Task<Response> {
    if (!signed_in(req)) co_return http::problem(auth::unauthorized(), req.request_id);
    if (auto denied = orgs::require(req.org_role, orgs::Permission::manage_billing))
      co_return http::problem(*denied, req.request_id);
    const BillingActor a = actor_of(req);
    auto r = co_await svc.portal(a);
    if (!r) co_return http::problem(r.error(), req.request_id);
    co_return no_store(Response::json(200, r.value()));
  });

  router.add("GET", "/api/user/billing/payment-methods", [&svc, mode](Request& req) -> Task<Response> {
    if (!signed_in(req)) co_return http::problem(auth::unauthorized(), req.request_id);
    if (auto denied = orgs::require(req.org_role, orgs::Permission::view_billing))
      co_return http::problem(*denied, req.request_id);
    const BillingActor a = actor_of(req);
    auto r = co_await svc.payment_methods(a);
    if (!r) co_return http::problem(r.error(), req.request_id);
    const json out = {{"billingMode", mode}, {"paymentMethods", r.value()}};
    co_return no_store(Response::json(200, out));
  });

  router.add("POST", "/api/user/billing/payment-methods/setup", [&svc](Request& req) -> Task<Response> {
    if (!signed_in(req)) co_return http::problem(auth::unauthorized(), req.request_id);
    if (auto denied = orgs::require(req.org_role, orgs::Permission::manage_billing))
      co_return http::problem(*denied, req.request_id);
    const BillingActor a = actor_of(req);
    auto r = co_await svc.setup_payment_method(a);
    if (!r) co_return http::problem(r.error(), req.request_id);
    co_return no_store(Response::json(200, r.value()));
  });

  router.add("POST", "/api/user/billing/payment-methods/{id}/default", [&svc, mode](Request& req) -> Task<Response> {
    if (!signed_in(req)) co_return http::problem(auth::unauthorized(), req.request_id);
    if (auto denied = orgs::require(req.org_role, orgs::Permission::manage_billing))
      co_return http::problem(*denied, req.request_id);
    const std::string id(req.param("id"));
    if (!payment_method_id(id))
      co_return http::problem(Error::coded(ErrorCode::NotFound, "PAYMENT_METHOD_NOT_FOUND", "No such payment method."),
                              req.request_id);
    const BillingActor a = actor_of(req);
    auto r = co_await svc.set_default_payment_method(a, id);
    if (!r) co_return http::problem(r.error(), req.request_id);
    auto list = co_await svc.payment_methods(a);
    if (!list) co_return http::problem(list.error(), req.request_id);
    const json out = {{"billingMode", mode}, {"paymentMethods", list.value()}};
    co_return no_store(Response::json(200, out));
  });

  router.add("DELETE", "/api/user/billing/payment-methods/{id}", [&svc](Request& req) -> Task<Response> {
    if (!signed_in(req)) co_return http::problem(auth::unauthorized(), req.request_id);
    if (auto denied = orgs::require(req.org_role, orgs::Permission::manage_billing))
      co_return http::problem(*denied, req.request_id);
    const std::string id(req.param("id"));
    if (!payment_method_id(id))
      co_return http::problem(Error::coded(ErrorCode::NotFound, "PAYMENT_METHOD_NOT_FOUND", "No such payment method."),
                              req.request_id);
    const BillingActor a = actor_of(req);
    auto r = co_await svc.remove_payment_method(a, id);
    if (!r) co_return http::problem(r.error(), req.request_id);
    co_return Response::empty(204);
  });

  router.add("GET", "/api/user/billing/invoices", [&svc](Request& req) -> Task<Response> {
    if (!signed_in(req)) co_return http::problem(auth::unauthorized(), req.request_id);
    if (auto denied = orgs::require(req.org_role, orgs::Permission::view_billing))
      co_return http::problem(*denied, req.request_id);
    Error bad = Error::of(ErrorCode::ValidationFailed, "One or more query parameters are invalid.");
    int limit = 20;
    if (auto l = req.query_param("limit")) {
      int v = 0;
      auto [end, ec] = std::from_chars(l->data(), l->data() + l->size(), v);
      if (ec != std::errc() || end != l->data() + l->size() || v < 1 || v > 100)
        bad.fields.push_back({"limit", "must be an integer from 1 to 100"});
      else
        limit = v;
    }
    std::optional<std::string> cursor = req.query_param("cursor");
    if (cursor && (cursor->empty() || cursor->size() > 200)) bad.fields.push_back({"cursor", "must be a nextCursor value"});
    if (!bad.fields.empty()) co_return http::problem(bad, req.request_id);
    const std::string org = req.account_id;
    auto r = co_await svc.repository().invoice_page(org, limit, cursor);
    if (!r) {
      if (r.error().code == ErrorCode::ValidationFailed) {
        bad.fields.push_back({"cursor", "must be a nextCursor value"});
        co_return http::problem(bad, req.request_id);
      }
      co_return http::problem(r.error(), req.request_id);
    }
    co_return no_store(Response::json(200, r.value()));
  });

  router.add("GET", "/api/user/billing/invoices/{id}", [&svc](Request& req) -> Task<Response> {
    if (!signed_in(req)) co_return http::problem(auth::unauthorized(), req.request_id);
    if (auto denied = orgs::require(req.org_role, orgs::Permission::view_billing))
      co_return http::problem(*denied, req.request_id);
    const std::string id(req.param("id"));
    const Error missing = Error::coded(ErrorCode::NotFound, "INVOICE_NOT_FOUND", "No such invoice.");
    if (!auth::is_uuid(id)) co_return http::problem(missing, req.request_id);
    const std::string org = req.account_id;
    auto r = co_await svc.repository().invoice_json(org, id);
    if (!r) co_return http::problem(r.error(), req.request_id);
    if (!r.value()) co_return http::problem(missing, req.request_id);
    co_return no_store(Response::json(200, *r.value()));
  });

  router.add("GET", "/api/user/billing/upcoming", [&svc, mode](Request& req) -> Task<Response> {
    if (!signed_in(req)) co_return http::problem(auth::unauthorized(), req.request_id);
    if (auto denied = orgs::require(req.org_role, orgs::Permission::view_billing))
      co_return http::problem(*denied, req.request_id);
    const std::string org = req.account_id;
    auto r = co_await svc.repository().upcoming_json(org);
    if (!r) co_return http::problem(r.error(), req.request_id);
    json out = r.value();
    out["billingMode"] = mode;
    co_return no_store(Response::json(200, out));
  });
}

}  // namespace tg::billing
