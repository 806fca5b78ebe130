#include "billing/event_processor.hpp"

#include <algorithm>
#include <ctime>
#include <set>

#include "core/log.hpp"
#include "core/metrics.hpp"

namespace tg::billing {
namespace {
std::string text(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return {};
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::int64_t seconds(const nlohmann::json& j, const char* key) {
  if (!j.is_object()) return 0;
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
}

void count(const std::string& type, const char* outcome) {
  metrics::registry()
      .counter("tollgate_stripe_events_processed_total", "Stripe webhook events processed by type and outcome",
               {{"type", type}, {"outcome", outcome}})
      .inc();
}

// Seconds from Stripe creating the event to Tollgate having applied it (alert when it grows: a stuck queue).
void lag(const nlohmann::json& event) {
  if (!event.is_object() || !event.contains("created") || !event["created"].is_number_integer()) return;
  const double seconds = static_cast<double>(std::time(nullptr) - event["created"].get<std::int64_t>());
  static auto& h = metrics::registry().histogram(
      "tollgate_stripe_webhook_lag_seconds", "Seconds from a Stripe event's creation to its processing", {},
      {1, 5, 15, 60, 300, 900, 3600, 21600, 86400});
  h.observe(std::max(seconds, 0.0));
}

const std::set<std::string> kInvoiceEvents = {"invoice.created", "invoice.finalized", "invoice.updated",
                                               "invoice.paid", "invoice.payment_succeeded", "invoice.payment_failed",
                                               "invoice.voided", "invoice.marked_uncollectible"};
// Nothing to store: payment methods and customer details are read live from Stripe when shown.
const std::set<std::string> kReadLive = {"payment_method.attached", "payment_method.detached",
                                         "payment_method.updated", "customer.updated", "invoice.upcoming"};

bool starts_with(const std::string& s, std::string_view prefix) {
  return s.rfind(prefix, 0) == 0;
}
}  // namespace

StripeSubscription parse_subscription(const nlohmann::json& o) {
  StripeSubscription s;
  s.id = text(o, "id");
  s.customer = text(o, "customer");
  if (s.customer.empty() && o.is_object() && o.contains("customer") && o["customer"].is_object())
    s.customer = text(o["customer"], "id");
  s.status = text(o, "status");
  s.period_start = seconds(o, "current_period_start");
  s.period_end = seconds(o, "current_period_end");
  s.canceled_at = seconds(o, "canceled_at");
  s.ended_at = seconds(o, "ended_at");
  s.trial_start = seconds(o, "trial_start");
  s.trial_end = seconds(o, "trial_end");
  if (o.is_object() && o.contains("cancel_at_period_end") && o["cancel_at_period_end"].is_boolean())
    s.cancel_at_period_end = o["cancel_at_period_end"].get<bool>();
  if (o.is_object() && o.contains("metadata") && o["metadata"].is_object()) {
    s.metadata_organization = text(o["metadata"], "organization_id");
    s.metadata_plan = text(o["metadata"], "plan");
  }
  if (o.is_object() && o.contains("items") && o["items"].is_object() && o["items"].contains("data") &&
      o["items"]["data"].is_array() && !o["items"]["data"].empty()) {
    const auto& price = o["items"]["data"][0].value("price", nlohmann::json::object());
    s.price_id = text(price, "id");
    if (price.is_object() && price.contains("recurring") && price["recurring"].is_object() &&
        text(price["recurring"], "interval") == "year")
      s.interval = "year";
  }
  return s;
}

StripeInvoice parse_invoice(const nlohmann::json& o) {
  StripeInvoice inv;
  inv.id = text(o, "id");
  inv.customer = text(o, "customer");
  if (inv.customer.empty() && o.is_object() && o.contains("customer") && o["customer"].is_object())
    inv.customer = text(o["customer"], "id");
  inv.subscription = text(o, "subscription");
  inv.status = text(o, "status");
  inv.number = text(o, "number");
  inv.currency = text(o, "currency");
  inv.hosted_url = text(o, "hosted_invoice_url");
  inv.pdf_url = text(o, "invoice_pdf");
  inv.period_start = seconds(o, "period_start");
  inv.period_end = seconds(o, "period_end");
  inv.subtotal = seconds(o, "subtotal");
  inv.tax = std::max<std::int64_t>(seconds(o, "tax"), 0);
  inv.total = seconds(o, "total");
  inv.amount_due = std::max<std::int64_t>(seconds(o, "amount_due"), 0);
  inv.amount_paid = std::max<std::int64_t>(seconds(o, "amount_paid"), 0);
  inv.created = seconds(o, "created");
  inv.due_date = seconds(o, "due_date");
  inv.attempt_count = seconds(o, "attempt_count");
  if (o.is_object() && o.contains("attempted") && o["attempted"].is_boolean()) inv.attempted = o["attempted"].get<bool>();
  if (o.is_object() && o.contains("status_transitions") && o["status_transitions"].is_object()) {
    inv.paid_at = seconds(o["status_transitions"], "paid_at");
    inv.voided_at = seconds(o["status_transitions"], "voided_at");
  }
  if (o.is_object() && o.contains("total_discount_amounts") && o["total_discount_amounts"].is_array())
    for (const auto& d : o["total_discount_amounts"]) inv.discount += std::max<std::int64_t>(seconds(d, "amount"), 0);
  static const std::set<std::string> known = {"draft", "open", "paid", "void", "uncollectible"};
  if (!known.count(inv.status)) inv.status = "open";
  if (inv.status == "open" && inv.attempted && inv.attempt_count > 0 && inv.amount_paid < inv.amount_due)
    inv.status = "failed";
  if (o.is_object() && o.contains("lines") && o["lines"].is_object() && o["lines"].contains("data") &&
      o["lines"]["data"].is_array()) {
    for (const auto& l : o["lines"]["data"]) {
      StripeInvoiceLine line;
      line.id = text(l, "id");
      line.description = text(l, "description");
      line.amount = seconds(l, "amount");
      line.quantity = l.is_object() && l.contains("quantity") && l["quantity"].is_number_integer()
                          ? l["quantity"].get<std::int64_t>()
                          : 1;
      const nlohmann::json price = l.is_object() ? l.value("price", nlohmann::json::object()) : nlohmann::json();
      const bool is_metered = price.is_object() && price.contains("recurring") && price["recurring"].is_object() &&
                              text(price["recurring"], "usage_type") == "metered";
      line.price_id = text(price, "id");
      if (price.is_object() && price.contains("unit_amount") && price["unit_amount"].is_number_integer())
        line.unit_price = price["unit_amount"].get<std::int64_t>();
      if (l.is_object() && l.value("proration", false)) line.kind = "proration";
      else if (is_metered) line.kind = "overage";
      else if (text(l, "type") == "invoiceitem") line.kind = "adjustment";
      else line.kind = "base_fee";
      if (l.is_object() && l.contains("period") && l["period"].is_object()) {
        line.period_start = seconds(l["period"], "start");
        line.period_end = seconds(l["period"], "end");
      }
      inv.lines.push_back(std::move(line));
    }
  }
  return inv;
}

Task<Status> EventProcessor::process(const nlohmann::json& payload) {
  const std::string event_id = text(payload, "eventId");
  if (event_id.empty()) co_return Error::of(ErrorCode::BadRequest, "stripe.process_event: no eventId");
  auto stored = co_await repo_.webhook_event(event_id);
  if (!stored) co_return stored.error();
  if (!stored.value()) co_return ok_status();  // removed by retention: nothing left to do
  const StoredEvent& e = *stored.value();
  if (e.status == "processed" || e.status == "ignored") co_return ok_status();
  // Statuses and messages are named: no temporaries inside co_await, and no ?: yielding a class type in a
  // coroutine (GCC 12, docs/architecture.md).
  const std::string processed = "processed", ignored = "ignored", failed = "failed", no_error;
  const auto event = nlohmann::json::parse(e.payload, nullptr, false);
  lag(event);
  nlohmann::json object = nlohmann::json::object();
  if (event.is_object() && event.contains("data") && event["data"].is_object() && event["data"].contains("object"))
    object = event["data"]["object"];
  std::string subscription_id;
  if (e.type == "checkout.session.completed") {
    if (text(object, "mode") != "subscription") {
      count(e.type, "processed");
      co_return co_await repo_.mark_event(event_id, processed, no_error);
    }
    subscription_id = text(object, "subscription");
  } else if (starts_with(e.type, "customer.subscription.")) {
    subscription_id = text(object, "id");
  } else if (kInvoiceEvents.count(e.type)) {
    const std::string invoice_id = text(object, "id");
    if (invoice_id.empty()) {
      count(e.type, "failed");
      const std::string why = "no invoice id in the event";
      co_return co_await repo_.mark_event(event_id, failed, why);
    }
    auto mirrored = co_await mirror_invoice(event_id, invoice_id);
    count(e.type, mirrored ? "processed" : "failed");
    co_return mirrored;
  } else if (e.type == "customer.deleted") {
    const std::string customer = text(object, "id");
    auto forgot = co_await repo_.forget_customer(customer);
    if (!forgot) co_return forgot.error();
    count(e.type, "processed");
    co_return co_await repo_.mark_event(event_id, processed, no_error);
  } else if (kReadLive.count(e.type)) {
    count(e.type, "processed");
    co_return co_await repo_.mark_event(event_id, processed, no_error);
  } else {
    count(e.type, "ignored");
    co_return co_await repo_.mark_event(event_id, ignored, no_error);
  }
  if (subscription_id.empty()) {
    count(e.type, "failed");
    const std::string why = "no subscription id in the event";
    co_return co_await repo_.mark_event(event_id, failed, why);
  }
  auto mirrored = co_await mirror_subscription(event_id, subscription_id);
  count(e.type, mirrored ? "processed" : "failed");
  co_return mirrored;
}

Task<Status> EventProcessor::mirror_subscription(const std::string& event_id, const std::string& subscription_id) {
  const std::string processed = "processed", ignored = "ignored", failed = "failed", no_error;
  if (!stripe_) {
    // Webhooks without an API key (local billing mode): nothing can be fetched; kept for the record.
    const std::string why = "STRIPE_SECRET_KEY is not set";
    co_return co_await repo_.mark_event(event_id, ignored, why);
  }
  const std::string method = "GET", path = "/v1/subscriptions/" + subscription_id, no_key;
  const nlohmann::json none = nlohmann::json::object();
  auto fetched = co_await stripe_->call(method, path, none, no_key);
  if (!fetched) {
    co_await repo_.mark_event(event_id, failed, fetched.error().detail);
    co_return fetched.error();  // the job retries with back-off
  }
  const StripeSubscription s = parse_subscription(fetched.value());
  if (s.id.empty() || s.status.empty() || s.period_end <= s.period_start) {
    const std::string why = "Stripe answered an incomplete subscription";
    co_await repo_.mark_event(event_id, failed, why);
    co_return Error::of(ErrorCode::BadGateway, why);
  }
  auto applied = co_await repo_.apply_subscription(s, grace_days_);
  if (!applied) {
    co_await repo_.mark_event(event_id, failed, applied.error().detail);
    co_return applied.error();
  }
  if (!applied.value()) {
    // The customer or the price is not (yet) known here: retried by the queue; an operator can map the price.
    const std::string why = "no organization for customer " + s.customer + " or no plan for price " + s.price_id;
    co_await repo_.mark_event(event_id, failed, why);
    log::warn("stripe subscription not mirrored", {{"subscription", s.id}, {"reason", why}});
    co_return Error::of(ErrorCode::Conflict, why);
  }
  if (applied.value()) {
    auto linked = co_await repo_.link_invoices(s.id);
    if (!linked) co_return linked.error();
    metrics::registry()
        .counter("tollgate_subscription_changes_total", "Subscription states mirrored from Stripe by status",
                 {{"status", s.status}})
        .inc();
  }
  log::info("stripe subscription mirrored", {{"subscription", s.id}, {"status", s.status}});
  co_return co_await repo_.mark_event(event_id, processed, no_error);
}

}  // namespace tg::billing

namespace tg::billing {

Task<Status> EventProcessor::mirror_invoice(const std::string& event_id, const std::string& invoice_id) {
  const std::string processed = "processed", ignored = "ignored", failed = "failed", no_error;
  if (!stripe_) {
    const std::string why = "STRIPE_SECRET_KEY is not set";
    co_return co_await repo_.mark_event(event_id, ignored, why);
  }
  const std::string method = "GET", path = "/v1/invoices/" + invoice_id, no_key;
  const nlohmann::json none = nlohmann::json::object();
  auto fetched = co_await stripe_->call(method, path, none, no_key);
  if (!fetched) {
    co_await repo_.mark_event(event_id, failed, fetched.error().detail);
    co_return fetched.error();
  }
  const StripeInvoice inv = parse_invoice(fetched.value());
  if (inv.id.empty() || inv.customer.empty() || inv.currency.size() != 3) {
    const std::string why = "Stripe answered an incomplete invoice";
    co_await repo_.mark_event(event_id, failed, why);
    co_return Error::of(ErrorCode::BadGateway, why);
  }
  auto applied = co_await repo_.apply_invoice(inv);
  if (!applied) {
    co_await repo_.mark_event(event_id, failed, applied.error().detail);
    co_return applied.error();
  }
  if (!applied->known) {
    const std::string why = "no organization for customer " + inv.customer;
    co_await repo_.mark_event(event_id, failed, why);
    co_return Error::of(ErrorCode::Conflict, why);
  }
  if (applied->became_failed) metrics::registry().counter("tollgate_payments_failed_total", "Invoice payments that failed").inc();
  log::info("stripe invoice mirrored", {{"invoice", inv.id}, {"status", inv.status}});
  // The invoice's subscription moves with it (paid ends dunning, failed starts it).
  if (!inv.subscription.empty()) co_return co_await mirror_subscription(event_id, inv.subscription);
  co_return co_await repo_.mark_event(event_id, processed, no_error);
}

}  // namespace tg::billing
