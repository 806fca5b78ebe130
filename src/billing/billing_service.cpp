#include "billing/billing_service.hpp"

#include "billing/event_processor.hpp"
#include "core/log.hpp"

namespace tg::billing {
namespace {
using nlohmann::json;

Error local_mode() {
  return Error::coded(ErrorCode::Conflict, "LOCAL_BILLING_MODE",
                      "Billing runs in local mode (Stripe is not configured): there is nothing to open at Stripe.");
}

std::string str(const json& j, const char* key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

bool metered(const json& price) {
  return price.is_object() && price.contains("recurring") && price["recurring"].is_object() &&
         str(price["recurring"], "usage_type") == "metered";
}

const std::string& base_price_of(const PlanRef& p, const std::string& interval) {
  return interval == "year" ? p.stripe_price_annual : p.stripe_price_monthly;
}

// The subscription items (Stripe list or expanded array), as an array.
json items_of(const json& sub) {
  if (sub.is_object() && sub.contains("items") && sub["items"].is_object() && sub["items"].contains("data") &&
      sub["items"]["data"].is_array())
    return sub["items"]["data"];
  return json::array();
}
}  // namespace

json plan_change_items(const json& subscription, const PlanRef& plan, const std::string& interval) {
  json items = json::array();
  const std::string& base = base_price_of(plan, interval);
  bool base_done = false, metered_done = false;
  for (const auto& it : items_of(subscription)) {
    const json price = it.value("price", json::object());
    const std::string id = str(it, "id");
    if (metered(price)) {
      if (!plan.stripe_price_metered.empty() && str(price, "id") == plan.stripe_price_metered) {
        metered_done = true;
        continue;
      }
      items.push_back({{"id", id}, {"deleted", true}});
    } else if (!base.empty() && !base_done) {
      items.push_back({{"id", id}, {"price", base}});
      base_done = true;
    } else {
      items.push_back({{"id", id}, {"deleted", true}});
    }
  }
  if (!base.empty() && !base_done) items.push_back({{"price", base}});
  if (!plan.stripe_price_metered.empty() && !metered_done) items.push_back({{"price", plan.stripe_price_metered}});
  return items;
}

Task<Result<PlanRef>> BillingService::choosable_plan(const std::string& plan, const std::string& interval,
                                                     bool for_stripe) {
  auto found = co_await repo_.plan(plan);
  if (!found) co_return found.error();
  if (!found.value()) co_return Error::coded(ErrorCode::NotFound, "PLAN_NOT_FOUND", "No such plan.");
  PlanRef p = *found.value();
  if (p.status != "active") co_return Error::coded(ErrorCode::Conflict, "PLAN_ARCHIVED", "This plan is no longer offered.");
  if (interval == "year" && !p.price_annual) {
    Error e = Error::of(ErrorCode::ValidationFailed, "One or more fields are invalid.");
    e.fields.push_back({"interval", "this plan has no annual price"});
    co_return e;
  }
  if (for_stripe && p.slug != "free") {
    const bool needs_base = interval == "year" ? p.price_annual.value_or(0) > 0 : p.price_monthly > 0;
    const bool needs_metered = p.type != "SUBSCRIPTION" && p.overage_price > 0;
    if ((needs_base && base_price_of(p, interval).empty()) || (needs_metered && p.stripe_price_metered.empty()) ||
        (base_price_of(p, interval).empty() && p.stripe_price_metered.empty()))
      co_return Error::coded(ErrorCode::Conflict, "PLAN_NOT_SYNCED",
                             "This plan is not set up in Stripe yet; try again in a minute.");
  }
  co_return p;
}

Task<Result<json>> BillingService::stripe_subscription(const BillingState& st) {
  if (!st.has_subscription || st.source != "stripe" || st.stripe_subscription_id.empty())
    co_return Error::coded(ErrorCode::Conflict, "NO_SUBSCRIPTION",
                           "There is no paid subscription to change: subscribe through checkout first.");
  const std::string method = "GET", path = "/v1/subscriptions/" + st.stripe_subscription_id, no_key;
  const json none = json::object();
  co_return co_await stripe_->call(method, path, none, no_key);
}

Task<Status> BillingService::mirror(const json& subscription) {
  const StripeSubscription s = parse_subscription(subscription);
  if (s.id.empty() || s.status.empty() || s.period_end <= s.period_start)
    co_return Error::of(ErrorCode::BadGateway, "Stripe answered an incomplete subscription");
  auto applied = co_await repo_.apply_subscription(s, grace_days_);
  if (!applied) co_return applied.error();
  // Not mirrored (unknown price): the webhook retries; the customer's change is at Stripe already.
  if (!applied.value()) {
    log::warn("stripe subscription not mirrored yet", {{"subscription", s.id}});
    co_return ok_status();
  }
  co_return co_await repo_.link_invoices(s.id);
}

Task<Result<json>> BillingService::checkout(const BillingActor& a, const std::string& plan,
                                            const std::string& interval) {
  if (!stripe_) co_return local_mode();
  auto p = co_await choosable_plan(plan, interval, true);
  if (!p) co_return p.error();
  if (!p->paid()) co_return Error::coded(ErrorCode::Conflict, "FREE_PLAN", "The Free plan needs no checkout.");
  auto st = co_await repo_.billing_state(a.organization_id);
  if (!st) co_return st.error();
  if (st->has_subscription && st->source == "stripe")
    co_return Error::coded(ErrorCode::Conflict, "ALREADY_SUBSCRIBED",
                           "The organization already has a subscription: change its plan instead.");
  auto customer = co_await customers_.ensure(a.organization_id);
  if (!customer) co_return customer.error();
  json line_items = json::array();
  const std::string& base = base_price_of(*p, interval);
  if (!base.empty()) line_items.push_back({{"price", base}, {"quantity", 1}});
  if (!p->stripe_price_metered.empty()) line_items.push_back({{"price", p->stripe_price_metered}});
  const json metadata = {{"organization_id", a.organization_id}, {"plan", p->slug}};
  json subscription_data = {{"metadata", metadata}};
  // One trial per organization.
  if (p->trial_days > 0 && !st->had_trial) subscription_data["trial_period_days"] = p->trial_days;
  const json params = {{"mode", "subscription"},
                       {"customer", customer.value()},
                       {"client_reference_id", a.organization_id},
                       {"line_items", line_items},
                       {"subscription_data", subscription_data},
                       {"metadata", metadata},
                       {"success_url", public_url_ + "/billing?checkout=success&session_id={CHECKOUT_SESSION_ID}"},
                       {"cancel_url", public_url_ + "/billing?checkout=canceled"}};
  const std::string method = "POST", path = "/v1/checkout/sessions";
  const std::string key = "tollgate-checkout-" + a.organization_id + "-" + a.request_id;
  auto session = co_await stripe_->call(method, path, params, key);
  if (!session) co_return session.error();
  if (str(*session, "url").empty()) co_return Error::of(ErrorCode::BadGateway, "Stripe answered a session without a url");
  co_return json{{"id", str(*session, "id")}, {"url", str(*session, "url")}};
}

Task<Result<json>> BillingService::preview(const BillingActor& a, const std::string& plan,
                                           const std::string& interval) {
  auto p = co_await choosable_plan(plan, interval, stripe_ != nullptr);
  if (!p) co_return p.error();
  std::int64_t recurring = p->price_monthly;
  if (interval == "year") recurring = p->price_annual.value_or(0);
  json out = {{"interval", interval}, {"currency", p->currency}, {"recurringAmount", recurring},
              {"amountDue", 0},       {"prorationDate", nullptr},  {"lines", json::array()}};
  if (!stripe_) {
    // Local mode: the change applies at once; the new base fee is on the next local invoice.
    out["lines"].push_back({{"kind", "base_fee"},
                            {"description", p->name + " plan from now on (billed at the end of the period)"},
                            {"quantity", 1},
                            {"unitPrice", recurring},
                            {"unitsPerPrice", 1},
                            {"amount", recurring},
                            {"proration", false}});
    co_return out;
  }
  auto st = co_await repo_.billing_state(a.organization_id);
  if (!st) co_return st.error();
  if (p->slug == "free")
    co_return Error::coded(ErrorCode::Conflict, "USE_CANCEL", "Moving to Free is a cancellation at period end.");
  auto sub = co_await stripe_subscription(*st);
  if (!sub) co_return sub.error();
  const std::int64_t proration_date = static_cast<std::int64_t>(std::time(nullptr));
  const json params = {{"customer", str(*sub, "customer")},
                       {"subscription", str(*sub, "id")},
                       {"subscription_items", plan_change_items(*sub, *p, interval)},
                       {"subscription_proration_behavior", "always_invoice"},
                       {"subscription_proration_date", proration_date}};
  const std::string method = "GET", path = "/v1/invoices/upcoming", no_key;
  auto inv = co_await stripe_->call(method, path, params, no_key);
  if (!inv) co_return inv.error();
  std::int64_t due = 0;
  if (inv->contains("lines") && (*inv)["lines"].is_object() && (*inv)["lines"].contains("data") &&
      (*inv)["lines"]["data"].is_array()) {
    for (const auto& l : (*inv)["lines"]["data"]) {
      const bool proration = l.value("proration", false);
      if (!proration) continue;  // the next period's recurring lines are not charged now
      const std::int64_t amount = l.value("amount", std::int64_t{0});
      due += amount;
      out["lines"].push_back({{"kind", "proration"},
                              {"description", str(l, "description")},
                              {"quantity", l.value("quantity", std::int64_t{1})},
                              {"unitPrice", nullptr},
                              {"unitsPerPrice", 1},
                              {"amount", amount},
                              {"proration", true}});
    }
  }
  out["amountDue"] = std::max<std::int64_t>(due, 0);  // a credit goes to the customer's balance
  out["prorationDate"] = proration_date;
  if (!str(*inv, "currency").empty()) {
    std::string c = str(*inv, "currency");
    for (auto& ch : c) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    out["currency"] = c;
  }
  co_return out;
}

Task<Status> BillingService::change(const BillingActor& a, const std::string& plan, const std::string& interval,
                                    std::optional<std::int64_t> proration_date) {
  auto p = co_await choosable_plan(plan, interval, stripe_ != nullptr);
  if (!p) co_return p.error();
  auto st = co_await repo_.billing_state(a.organization_id);
  if (!st) co_return st.error();
  // No ?: yielding a class type in a coroutine (GCC 12, docs/architecture.md).
  std::string current_slug = "free", current_interval = "month";
  if (st->has_subscription) {
    current_slug = st->plan_slug;
    current_interval = st->interval;
  }
  if (current_slug == p->slug && current_interval == interval)
    co_return Error::coded(ErrorCode::Conflict, "ALREADY_ON_PLAN", "The organization is on this plan already.");
  if (!stripe_) {
    co_return co_await repo_.change_local_plan(a.organization_id, *p, interval, a.user_id, a.request_id);
  }
  if (p->slug == "free")
    co_return Error::coded(ErrorCode::Conflict, "USE_CANCEL", "Moving to Free is a cancellation at period end.");
  auto sub = co_await stripe_subscription(*st);
  if (!sub) co_return sub.error();
  const std::int64_t when = proration_date.value_or(static_cast<std::int64_t>(std::time(nullptr)));
  // always_invoice: the proration is charged now, as the preview showed; pending_if_incomplete: if that payment
  // fails, Stripe keeps the old plan instead of granting the new one unpaid. (No metadata: Stripe refuses it with
  // pending updates at the pinned API version; the plan is found by its price id.)
  const json params = {{"items", plan_change_items(*sub, *p, interval)},
                       {"proration_behavior", "always_invoice"},
                       {"proration_date", when},
                       {"payment_behavior", "pending_if_incomplete"}};
  const std::string method = "POST", path = "/v1/subscriptions/" + str(*sub, "id");
  const std::string key =
      "tollgate-change-" + str(*sub, "id") + "-" + p->slug + "-" + interval + "-" + std::to_string(when);
  auto updated = co_await stripe_->call(method, path, params, key);
  if (!updated) co_return updated.error();
  if (updated->contains("pending_update") && !(*updated)["pending_update"].is_null()) {
    // The proration charge was declined: Stripe kept the old plan and holds the change as pending.
    co_return Error::coded(ErrorCode::PaymentRequired, "PAYMENT_FAILED",
                           "The payment for the change was declined; the plan did not change. Update the payment "
                           "method and try again.");
  }
  const std::string action = "billing.plan.changed";
  const json detail = {{"plan", p->slug}, {"interval", interval}, {"mode", "stripe"}};
  auto audited = co_await repo_.audit_billing(a.organization_id, a.user_id, action, detail, a.request_id);
  if (!audited) co_return audited.error();
  log::info("plan changed", {{"organizationId", a.organization_id}, {"plan", p->slug}, {"mode", "stripe"}});
  co_return co_await mirror(updated.value());
}

Task<Status> BillingService::set_cancel(const BillingActor& a, bool cancel) {
  auto st = co_await repo_.billing_state(a.organization_id);
  if (!st) co_return st.error();
  if (!st->has_subscription || st->plan_slug == "free") {
    if (cancel) co_return Error::coded(ErrorCode::Conflict, "NOTHING_TO_CANCEL", "The Free plan has nothing to cancel.");
    co_return Error::coded(ErrorCode::Conflict, "NOT_CANCELING", "No cancellation is scheduled.");
  }
  if (st->cancel_at_period_end == cancel) {
    if (cancel) co_return Error::coded(ErrorCode::Conflict, "ALREADY_CANCELING", "The subscription already ends at period end.");
    co_return Error::coded(ErrorCode::Conflict, "NOT_CANCELING", "No cancellation is scheduled.");
  }
  if (st->source != "stripe") {
    auto changed = co_await repo_.set_local_cancel(a.organization_id, cancel, a.user_id, a.request_id);
    if (!changed) co_return changed.error();
    co_return ok_status();
  }
  if (!stripe_) co_return Error::coded(ErrorCode::Conflict, "STRIPE_NOT_CONFIGURED",
                                       "This subscription is managed by Stripe, which is not configured here.");
  const json params = {{"cancel_at_period_end", cancel}};
  const std::string method = "POST", path = "/v1/subscriptions/" + st->stripe_subscription_id;
  const std::string key = std::string(cancel ? "tollgate-cancel-" : "tollgate-resume-") + a.request_id;
  auto updated = co_await stripe_->call(method, path, params, key);
  if (!updated) co_return updated.error();
  const std::string action =
      cancel ? "billing.subscription.cancel_scheduled" : "billing.subscription.resumed";
  const json detail = {{"mode", "stripe"}};
  auto audited = co_await repo_.audit_billing(a.organization_id, a.user_id, action, detail, a.request_id);
  if (!audited) co_return audited.error();
  co_return co_await mirror(updated.value());
}

Task<Result<json>> BillingService::portal(const BillingActor& a) {
  if (!stripe_) co_return local_mode();
  auto customer = co_await customers_.ensure(a.organization_id);
  if (!customer) co_return customer.error();
  const json params = {{"customer", customer.value()}, {"return_url", public_url_ + "/billing"}};
  const std::string method = "POST", path = "/v1/billing_portal/sessions";
  const std::string key = "tollgate-portal-" + a.request_id;
  auto session = co_await stripe_->call(method, path, params, key);
  if (!session) co_return session.error();
  co_return json{{"id", str(*session, "id")}, {"url", str(*session, "url")}};
}

Task<Result<json>> BillingService::setup_payment_method(const BillingActor& a) {
  if (!stripe_) co_return local_mode();
  auto customer = co_await customers_.ensure(a.organization_id);
  if (!customer) co_return customer.error();
  const json params = {{"mode", "setup"},
                       {"customer", customer.value()},
                       {"payment_method_types", json::array({"card"})},
                       {"success_url", public_url_ + "/billing?setup=success"},
                       {"cancel_url", public_url_ + "/billing?setup=canceled"}};
  const std::string method = "POST", path = "/v1/checkout/sessions";
  const std::string key = "tollgate-setup-" + a.request_id;
  auto session = co_await stripe_->call(method, path, params, key);
  if (!session) co_return session.error();
  co_return json{{"id", str(*session, "id")}, {"url", str(*session, "url")}};
}

Task<Result<json>> BillingService::payment_methods(const BillingActor& a) {
  json list = json::array();
  if (!stripe_) co_return list;
  auto st = co_await repo_.billing_state(a.organization_id);
  if (!st) co_return st.error();
  if (!st->stripe_customer_id) co_return list;  // no customer yet: no cards
  const std::string method = "GET", no_key;
  const std::string cpath = "/v1/customers/" + *st->stripe_customer_id;
  const json none = json::object();
  auto customer = co_await stripe_->call(method, cpath, none, no_key);
  if (!customer) co_return customer.error();
  std::string default_id;
  if (customer->contains("invoice_settings") && (*customer)["invoice_settings"].is_object()) {
    const json dpm = (*customer)["invoice_settings"].value("default_payment_method", json());
    if (dpm.is_string()) default_id = dpm.get<std::string>();
    else default_id = str(dpm, "id");
  }
  const json q = {{"customer", *st->stripe_customer_id}, {"type", "card"}, {"limit", 100}};
  const std::string path = "/v1/payment_methods";
  auto pms = co_await stripe_->call(method, path, q, no_key);
  if (!pms) co_return pms.error();
  if (pms->contains("data") && (*pms)["data"].is_array()) {
    for (const auto& pm : (*pms)["data"]) {
      const json card = pm.value("card", json::object());
      json item = {{"id", str(pm, "id")},      {"type", str(pm, "type")}, {"brand", nullptr},
                   {"last4", nullptr},         {"expMonth", nullptr},     {"expYear", nullptr},
                   {"isDefault", str(pm, "id") == default_id}};
      if (!str(card, "brand").empty()) item["brand"] = str(card, "brand");
      if (!str(card, "last4").empty()) item["last4"] = str(card, "last4");
      if (card.contains("exp_month") && card["exp_month"].is_number_integer()) item["expMonth"] = card["exp_month"];
      if (card.contains("exp_year") && card["exp_year"].is_number_integer()) item["expYear"] = card["exp_year"];
      if (item["isDefault"].get<bool>()) list.insert(list.begin(), item);
      else list.push_back(item);
    }
  }
  co_return list;
}

Task<Result<std::string>> BillingService::owned_payment_method(const BillingActor& a, const std::string& id) {
  if (!stripe_) co_return local_mode();
  Error missing = Error::coded(ErrorCode::NotFound, "PAYMENT_METHOD_NOT_FOUND", "No such payment method.");
  auto st = co_await repo_.billing_state(a.organization_id);
  if (!st) co_return st.error();
  if (!st->stripe_customer_id) co_return missing;
  const std::string method = "GET", path = "/v1/payment_methods/" + id, no_key;
  const json none = json::object();
  auto pm = co_await stripe_->call(method, path, none, no_key);
  if (!pm) {
    if (pm.error().code == ErrorCode::NotFound) co_return missing;
    co_return pm.error();
  }
  std::string owner = str(*pm, "customer");
  if (owner.empty() && pm->contains("customer")) owner = str((*pm)["customer"], "id");
  // Another organization's card answers exactly like a card that does not exist.
  if (owner != *st->stripe_customer_id) co_return missing;
  co_return owner;
}

Task<Status> BillingService::set_default_payment_method(const BillingActor& a, const std::string& id) {
  auto customer = co_await owned_payment_method(a, id);
  if (!customer) co_return customer.error();
  const json params = {{"invoice_settings", {{"default_payment_method", id}}}};
  const std::string method = "POST", path = "/v1/customers/" + customer.value();
  const std::string key = "tollgate-default-pm-" + id + "-" + a.request_id;
  auto r = co_await stripe_->call(method, path, params, key);
  if (!r) co_return r.error();
  co_return ok_status();
}

Task<Status> BillingService::remove_payment_method(const BillingActor& a, const std::string& id) {
  auto customer = co_await owned_payment_method(a, id);
  if (!customer) co_return customer.error();
  const json none = json::object();
  const std::string method = "POST", path = "/v1/payment_methods/" + id + "/detach";
  const std::string key = "tollgate-detach-" + id;
  auto r = co_await stripe_->call(method, path, none, key);
  if (!r) co_return r.error();
  co_return ok_status();
}

}  // namespace tg::billing
