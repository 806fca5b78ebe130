#include "billing/plan_admin.hpp"

#include <algorithm>
#include <cstdlib>
#include <regex>

#include "auth/auth_handlers.hpp"
#include "core/log.hpp"
#include "http/body.hpp"
#include "http/problem.hpp"

namespace tg::billing {
using http::Request;
using http::Response;
using nlohmann::json;

namespace {
const std::vector<std::string_view> kPlanFields = {"name",          "description",        "type",
                                                   "currency",      "priceMonthly",       "priceAnnual",
                                                   "includedUnits", "overagePrice",       "overageBlockUnits",
                                                   "quotaPolicy",   "rateLimitPerMinute", "maxApiKeys",
                                                   "maxMembers",    "features",           "status",
                                                   "isPublic",      "displayOrder",       "trialDays"};

void integer(const json& plan, const char* f, std::int64_t lo, std::int64_t hi, bool nullable,
             std::vector<FieldError>& errors) {
  auto it = plan.find(f);
  if (it == plan.end() || it->is_null()) {
    if (!nullable) errors.push_back({f, "is required"});
    return;
  }
  if (!it->is_number_integer()) {
    errors.push_back({f, "must be an integer"});
    return;
  }
  const auto v = it->get<std::int64_t>();
  if (v < lo || v > hi) errors.push_back({f, "must be from " + std::to_string(lo) + " to " + std::to_string(hi)});
}

void one_of(const json& plan, const char* f, std::initializer_list<const char*> allowed,
            std::vector<FieldError>& errors) {
  auto it = plan.find(f);
  std::string list;
  for (const char* a : allowed) {
    if (it != plan.end() && it->is_string() && it->get<std::string>() == a) return;
    list += list.empty() ? a : std::string(", ") + a;
  }
  errors.push_back({f, "must be one of " + list});
}

// An optional "reason" for the audit row, taken out of the plan fields.
std::string take_reason(json& body, Error& bad) {
  std::string reason;
  auto it = body.find("reason");
  if (it == body.end()) return reason;
  if (it->is_string() && it->get<std::string>().size() <= 2000)
    reason = auth::trim(it->get<std::string>());
  else if (!it->is_null())
    bad.fields.push_back({"reason", "must be a string of at most 2000 characters"});
  body.erase(it);
  return reason;
}

AdminWho who_of(const Request& req, std::string reason) {
  const std::string* ua = req.header("user-agent");
  return AdminWho{req.user_id, req.request_id, req.client_ip, ua ? *ua : "", std::move(reason)};
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string unit_decimal(std::int64_t minor, std::int64_t block) {
  const std::int64_t whole = minor / block;
  std::int64_t rem = minor % block;
  std::string frac;
  for (int i = 0; i < 12 && rem != 0; ++i) {
    rem *= 10;
    frac += static_cast<char>('0' + rem / block);
    rem %= block;
  }
  if (rem * 2 >= block && !frac.empty()) {  // round the 12th place half up
    int i = static_cast<int>(frac.size()) - 1;
    while (i >= 0 && frac[static_cast<std::size_t>(i)] == '9') frac[static_cast<std::size_t>(i--)] = '0';
    if (i >= 0) ++frac[static_cast<std::size_t>(i)];
  }
  while (!frac.empty() && frac.back() == '0') frac.pop_back();
  return std::to_string(whole) + (frac.empty() ? "" : "." + frac);
}

namespace {

std::string str(const json& j, const char* key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

Response no_store(Response res) {
  res.set("Cache-Control", "no-store");
  return res;
}
}  // namespace

std::string meter_event_name(const std::string& plan_slug) {
  std::string s = "tollgate_units_" + plan_slug;
  for (auto& c : s)
    if (c == '-') c = '_';
  return s;
}

json plan_with_defaults(const json& body) {
  json p = {{"description", ""},     {"currency", "USD"},     {"priceAnnual", nullptr},
            {"includedUnits", 0},    {"overagePrice", 0},     {"overageBlockUnits", 1000},
            {"maxApiKeys", nullptr}, {"maxMembers", nullptr}, {"features", json::object()},
            {"status", "active"},    {"isPublic", true},      {"displayOrder", 0},
            {"trialDays", 0}};
  p["quotaPolicy"] = str(body, "type") == "PAY_AS_YOU_GO" ? "allow_overage" : "hard_cap";
  for (const auto& [k, v] : body.items()) p[k] = v;
  return p;
}

void validate_plan(const json& plan, bool creating, std::vector<FieldError>& errors) {
  if (creating) {
    static const std::regex slug("^[a-z0-9][a-z0-9-]{0,62}$");
    const std::string s = str(plan, "slug");
    if (!std::regex_match(s, slug)) errors.push_back({"slug", "must be 1-63 lower-case letters, digits or dashes"});
  }
  const std::string name = auth::trim(str(plan, "name"));
  if (name.empty() || http::utf8_length(name) > 100) errors.push_back({"name", "must be 1-100 characters"});
  if (!plan.contains("description") || !plan["description"].is_string() ||
      http::utf8_length(plan["description"].get<std::string>()) > 2000)
    errors.push_back({"description", "must be a string of at most 2000 characters"});
  one_of(plan, "type", {"SUBSCRIPTION", "PAY_AS_YOU_GO", "HYBRID"}, errors);
  static const std::regex currency("^[A-Z]{3}$");
  if (!std::regex_match(str(plan, "currency"), currency))
    errors.push_back({"currency", "must be an ISO 4217 code like USD"});
  integer(plan, "priceMonthly", 0, 100000000, false, errors);
  integer(plan, "priceAnnual", 0, 1000000000, true, errors);
  integer(plan, "includedUnits", 0, 1000000000000, false, errors);
  integer(plan, "overagePrice", 0, 100000000, false, errors);
  integer(plan, "overageBlockUnits", 1, 1000000000, false, errors);
  one_of(plan, "quotaPolicy", {"hard_cap", "allow_overage"}, errors);
  integer(plan, "rateLimitPerMinute", 1, 10000000, false, errors);
  integer(plan, "maxApiKeys", 0, 1000000, true, errors);
  integer(plan, "maxMembers", 1, 1000000, true, errors);
  if (!plan.contains("features") || !plan["features"].is_object() || plan["features"].dump().size() > 4096)
    errors.push_back({"features", "must be a JSON object of at most 4 KiB"});
  one_of(plan, "status", {"active", "archived"}, errors);
  if (!plan.contains("isPublic") || !plan["isPublic"].is_boolean())
    errors.push_back({"isPublic", "must be true or false"});
  integer(plan, "displayOrder", -1000000, 1000000, false, errors);
  integer(plan, "trialDays", 0, 730, false, errors);
  if (str(plan, "type") == "PAY_AS_YOU_GO" && str(plan, "quotaPolicy") == "hard_cap")
    errors.push_back({"quotaPolicy", "a pay-as-you-go plan must allow overage"});
}

void register_plan_admin_routes(http::Router& router, auth::AuthService& auth, BillingRepository& repo,
                                bool stripe_mode) {
  router.add("GET", "/api/admin/plans", [&auth, &repo](Request& req) -> Task<Response> {
    const std::string user_id = req.user_id;
    auto admin = co_await auth.require_admin(user_id, req.client_ip, req.session_id);
    if (!admin) co_return http::problem(admin.error(), req.request_id);
    auto plans = co_await repo.admin_plans_json();
    if (!plans) co_return http::problem(plans.error(), req.request_id);
    const json out = {{"plans", plans.value()}};
    co_return no_store(Response::json(200, out));
  });

  router.add("POST", "/api/admin/plans", [&auth, &repo, stripe_mode](Request& req) -> Task<Response> {
    const std::string user_id = req.user_id;
    auto admin = co_await auth.require_admin(user_id, req.client_ip, req.session_id);
    if (!admin) co_return http::problem(admin.error(), req.request_id);
    std::vector<std::string_view> allowed = kPlanFields;
    allowed.push_back("slug");
    auto body = http::json_object_body(req);
    if (!body) co_return http::problem(body.error(), req.request_id);
    Error bad = Error::of(ErrorCode::ValidationFailed, "One or more fields are invalid.");
    AdminWho who = who_of(req, take_reason(body.value(), bad));
    for (const auto& [k, v] : body->items())
      if (std::find(allowed.begin(), allowed.end(), k) == allowed.end())
        bad.fields.push_back({k, "is not a plan field"});
    for (const char* required : {"slug", "name", "type", "priceMonthly", "rateLimitPerMinute"})
      if (!body->contains(required)) bad.fields.push_back({required, "is required"});
    const json plan = plan_with_defaults(*body);
    if (bad.fields.empty()) validate_plan(plan, true, bad.fields);
    if (!bad.fields.empty()) co_return http::problem(bad, req.request_id);
    auto id = co_await repo.create_plan(plan, who, stripe_mode);
    if (!id) co_return http::problem(id.error(), req.request_id);
    if (!id.value())
      co_return http::problem(Error::coded(ErrorCode::Conflict, "PLAN_SLUG_TAKEN", "A plan with this slug exists."),
                              req.request_id);
    auto created = co_await repo.admin_plan_json(*id.value());
    if (!created) co_return http::problem(created.error(), req.request_id);
    if (!created.value()) co_return http::problem(Error::of(ErrorCode::Internal, "plan vanished"), req.request_id);
    co_return no_store(Response::json(201, *created.value()));
  });

  router.add("PATCH", "/api/admin/plans/{id}", [&auth, &repo, stripe_mode](Request& req) -> Task<Response> {
    const std::string user_id = req.user_id;
    auto admin = co_await auth.require_admin(user_id, req.client_ip, req.session_id);
    if (!admin) co_return http::problem(admin.error(), req.request_id);
    const std::string id(req.param("id"));
    const Error missing = Error::coded(ErrorCode::NotFound, "PLAN_NOT_FOUND", "No such plan.");
    if (!auth::is_uuid(id)) co_return http::problem(missing, req.request_id);
    auto body = http::json_object_body(req);
    if (!body) co_return http::problem(body.error(), req.request_id);
    Error bad = Error::of(ErrorCode::ValidationFailed, "One or more fields are invalid.");
    AdminWho who = who_of(req, take_reason(body.value(), bad));
    for (const auto& [k, v] : body->items()) {
      if (k == "slug")
        bad.fields.push_back({k, "cannot change (subscriptions and Stripe metadata refer to it)"});
      else if (std::find(kPlanFields.begin(), kPlanFields.end(), k) == kPlanFields.end())
        bad.fields.push_back({k, "is not a plan field"});
    }
    if (body->empty()) bad.fields.push_back({"body", "must change at least one field"});
    if (!bad.fields.empty()) co_return http::problem(bad, req.request_id);
    auto stored = co_await repo.admin_plan_json(id);
    if (!stored) co_return http::problem(stored.error(), req.request_id);
    if (!stored.value()) co_return http::problem(missing, req.request_id);
    json merged = json::object();
    for (auto f : kPlanFields) {
      const std::string key(f);
      merged[key] = (*stored.value())[key];
    }
    for (const auto& [k, v] : body->items()) merged[k] = v;
    validate_plan(merged, false, bad.fields);
    if (!bad.fields.empty()) co_return http::problem(bad, req.request_id);
    const json changed = body.value();
    auto ok = co_await repo.update_plan(id, merged, changed, who, stripe_mode);
    if (!ok) co_return http::problem(ok.error(), req.request_id);
    if (!ok.value()) co_return http::problem(missing, req.request_id);
    auto updated = co_await repo.admin_plan_json(id);
    if (!updated) co_return http::problem(updated.error(), req.request_id);
    if (!updated.value()) co_return http::problem(missing, req.request_id);
    co_return no_store(Response::json(200, *updated.value()));
  });
}

void register_invoice_admin_routes(http::Router& router, auth::AuthService& auth, BillingRepository& repo) {
  // Local billing mode: an admin records a payment received outside Tollgate (bank transfer, cash). Stripe
  // invoices are paid through Stripe only (409 otherwise); audited with the required reason.
  router.add("POST", "/api/admin/invoices/{id}/mark-paid", [&auth, &repo](Request& req) -> Task<Response> {
    const std::string user_id = req.user_id;
    auto admin = co_await auth.require_admin(user_id, req.client_ip, req.session_id);
    if (!admin) co_return http::problem(admin.error(), req.request_id);
    const std::string id(req.param("id"));
    const Error missing = Error::coded(ErrorCode::NotFound, "INVOICE_NOT_FOUND", "No such invoice.");
    if (!auth::is_uuid(id)) co_return http::problem(missing, req.request_id);
    auto body = http::json_object_body(req, {"reason"});
    if (!body) co_return http::problem(body.error(), req.request_id);
    http::Validator v(*body);
    const std::string reason = auth::trim(v.string("reason", true, 1, 2000));
    if (v.ok() && reason.empty()) v.fail("reason", "must not be blank");
    if (!v.ok()) co_return http::problem(v.error(), req.request_id);
    const std::string rid = req.request_id;
    auto r = co_await repo.mark_invoice_paid(id, user_id, reason, rid);
    if (!r) co_return http::problem(r.error(), req.request_id);
    if (!r.value()) {
      auto state = co_await repo.invoice_state(id);
      if (!state) co_return http::problem(state.error(), req.request_id);
      if (!state.value()) co_return http::problem(missing, req.request_id);
      co_return http::problem(
          Error::coded(ErrorCode::Conflict, "INVOICE_NOT_PAYABLE",
                       "Only open or failed local invoices can be marked paid (this one is " + *state.value() + ")."),
          req.request_id);
    }
    co_return no_store(Response::json(200, *r.value()));
  });
}

Task<Result<std::string>> PlanSyncJob::ensure_price(const PlanSync& p, const std::string& current, const json& terms,
                                                    const std::string& key) {
  if (!current.empty()) {
    const std::string method = "GET", path = "/v1/prices/" + current, no_key;
    const json none = json::object();
    auto price = co_await stripe_->call(method, path, none, no_key);
    if (!price && price.error().code != ErrorCode::NotFound) co_return price.error();
    if (price) {
      const json& want_rec = terms["recurring"];
      const json have_rec = price->value("recurring", json::object());
      bool same = str(*price, "currency") == str(terms, "currency") && price->value("active", false) &&
                  str(have_rec, "interval") == str(want_rec, "interval") &&
                  str(have_rec, "usage_type") == want_rec.value("usage_type", std::string("licensed"));
      if (terms.contains("unit_amount"))
        same = same && price->contains("unit_amount") && (*price)["unit_amount"] == terms["unit_amount"];
      if (terms.contains("unit_amount_decimal")) {
        // Stripe answers the decimal with trailing zeros ("0.050000000000"): compare as numbers of 12 places.
        const std::string have = str(*price, "unit_amount_decimal");
        const std::string want = terms["unit_amount_decimal"].get<std::string>();
        same = same && !have.empty() && std::strtold(have.c_str(), nullptr) == std::strtold(want.c_str(), nullptr);
      }
      if (same) co_return current;
    }
  }
  json params = terms;
  params["product"] = p.product;
  params["metadata"] = {{"plan_id", p.id}, {"plan", p.slug}};
  const std::string method = "POST", path = "/v1/prices";
  std::string full_key = key + "-replacing-";  // no ?: yielding a class type in a coroutine (GCC 12)
  if (current.empty())
    full_key += "none";
  else
    full_key += current;
  auto created = co_await stripe_->call(method, path, params, full_key);
  if (!created) co_return created.error();
  const std::string id = str(*created, "id");
  if (id.empty()) co_return Error::of(ErrorCode::BadGateway, "Stripe answered a price without an id");
  auto archived = co_await archive_price(current);
  if (!archived) co_return archived.error();
  co_return id;
}

Task<Status> PlanSyncJob::archive_price(const std::string& price_id) {
  if (price_id.empty()) co_return ok_status();
  const json archive = {{"active", false}};
  const std::string method = "POST", path = "/v1/prices/" + price_id, key = "tollgate-archive-price-" + price_id;
  auto archived = co_await stripe_->call(method, path, archive, key);
  if (!archived && archived.error().code != ErrorCode::NotFound) co_return archived.error();
  co_return ok_status();
}

Task<Status> PlanSyncJob::run(const json& payload) {
  if (!stripe_) co_return ok_status();  // local billing mode
  const std::string plan_id = str(payload, "planId");
  if (plan_id.empty()) co_return Error::of(ErrorCode::BadRequest, "stripe.sync_plan: no planId");
  auto loaded = co_await repo_.plan_for_sync(plan_id);
  if (!loaded) co_return loaded.error();
  if (!loaded.value()) co_return ok_status();
  PlanSync p = *loaded.value();
  const std::string post = "POST", currency = lower(p.currency);
  json product = {
      {"name", p.name}, {"active", p.status == "active"}, {"metadata", {{"plan_id", p.id}, {"plan", p.slug}}}};
  if (!p.description.empty()) product["description"] = p.description;
  if (p.product.empty()) {
    const std::string path = "/v1/products", key = "tollgate-product-" + p.id;
    auto created = co_await stripe_->call(post, path, product, key);
    if (!created) co_return created.error();
    p.product = str(*created, "id");
    if (p.product.empty()) co_return Error::of(ErrorCode::BadGateway, "Stripe answered a product without an id");
  } else {
    const std::string path = "/v1/products/" + p.product;
    // Keyed by the job, not by the content: a retry repeats it safely, and A → B → A applies the last A again
    // (a content key would make Stripe replay the first A's answer without applying it).
    std::string job = "0";
    if (payload.contains("jobId") && payload["jobId"].is_number_integer())
      job = std::to_string(payload["jobId"].get<std::int64_t>());
    const std::string key = "tollgate-product-" + p.product + "-job-" + job;
    auto updated = co_await stripe_->call(post, path, product, key);
    if (!updated) co_return updated.error();
  }
  // An option the plan no longer has: its price is archived at Stripe and forgotten here, so checkout and plan
  // changes stop offering it.
  if (p.price_monthly <= 0) {
    auto gone = co_await archive_price(p.price_monthly_id);
    if (!gone) co_return gone.error();
    p.price_monthly_id.clear();
  }
  if (p.price_annual.value_or(0) <= 0) {
    auto gone = co_await archive_price(p.price_annual_id);
    if (!gone) co_return gone.error();
    p.price_annual_id.clear();
  }
  if (p.type == "SUBSCRIPTION" || p.overage_price <= 0) {
    auto gone = co_await archive_price(p.price_metered_id);
    if (!gone) co_return gone.error();
    p.price_metered_id.clear();
  }
  if (p.price_monthly > 0) {
    const json terms = {
        {"currency", currency}, {"unit_amount", p.price_monthly}, {"recurring", {{"interval", "month"}}}};
    const std::string key = "tollgate-price-" + p.id + "-month-" + std::to_string(p.price_monthly) + "-" + currency;
    auto id = co_await ensure_price(p, p.price_monthly_id, terms, key);
    if (!id) co_return id.error();
    p.price_monthly_id = id.value();
  }
  if (p.price_annual.value_or(0) > 0) {
    const json terms = {
        {"currency", currency}, {"unit_amount", *p.price_annual}, {"recurring", {{"interval", "year"}}}};
    const std::string key = "tollgate-price-" + p.id + "-year-" + std::to_string(*p.price_annual) + "-" + currency;
    auto id = co_await ensure_price(p, p.price_annual_id, terms, key);
    if (!id) co_return id.error();
    p.price_annual_id = id.value();
  }
  if (p.type != "SUBSCRIPTION" && p.overage_price > 0) {
    if (p.meter_id.empty()) {
      const json meter = {{"display_name", p.name + " API units"},
                          {"event_name", meter_event_name(p.slug)},
                          {"default_aggregation", {{"formula", "sum"}}},
                          {"customer_mapping", {{"type", "by_id"}, {"event_payload_key", "stripe_customer_id"}}},
                          {"value_settings", {{"event_payload_key", "value"}}}};
      const std::string path = "/v1/billing/meters", key = "tollgate-meter-" + p.id;
      auto created = co_await stripe_->call(post, path, meter, key);
      if (!created) co_return created.error();
      p.meter_id = str(*created, "id");
      if (p.meter_id.empty()) co_return Error::of(ErrorCode::BadGateway, "Stripe answered a meter without an id");
    }
    // Only units beyond the included ones are reported to the meter (src/billing/meter_reporter.cpp), so the
    // metered price is a flat per-unit price: overage_price per overage_block units.
    const std::string decimal = unit_decimal(p.overage_price, p.overage_block);
    const json terms = {{"currency", currency},
                        {"unit_amount_decimal", decimal},
                        {"billing_scheme", "per_unit"},
                        {"recurring", {{"interval", "month"}, {"usage_type", "metered"}, {"meter", p.meter_id}}}};
    const std::string key = "tollgate-price-" + p.id + "-metered-" + decimal + "-" + currency;
    auto id = co_await ensure_price(p, p.price_metered_id, terms, key);
    if (!id) co_return id.error();
    p.price_metered_id = id.value();
  }
  auto recorded = co_await repo_.record_plan_sync(p);
  if (!recorded) co_return recorded.error();
  log::info("plan synced to stripe", {{"plan", p.slug}, {"product", p.product}});
  co_return ok_status();
}

}  // namespace tg::billing
