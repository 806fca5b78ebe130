#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/async.hpp"
#include "core/error.hpp"
#include "db/db.hpp"

namespace tg::billing {

struct WebhookEvent {
  std::string stripe_event_id, type;
  std::optional<std::string> api_version;
  bool livemode = false;
  std::optional<std::int64_t> created_s;
  std::string payload;  // the verified raw body (a JSON object)
};

struct CustomerTarget {
  std::string organization_id, name, email, status;
  std::optional<std::string> stripe_customer_id;
};

// A Stripe subscription as fetched from Stripe (times in unix seconds, 0 = none).
struct StripeSubscription {
  std::string id, customer, status, price_id, interval = "month";
  std::string metadata_organization, metadata_plan;
  std::int64_t period_start = 0, period_end = 0, canceled_at = 0, ended_at = 0, trial_start = 0, trial_end = 0;
  bool cancel_at_period_end = false;
};

// A plan as the subscription flows need it (money in minor units; Stripe ids empty until synced).
struct PlanRef {
  std::string id, slug, name, type, status, currency, quota_policy;
  std::int64_t price_monthly = 0, included_units = 0, overage_price = 0, overage_block = 1000;
  std::optional<std::int64_t> price_annual;
  int trial_days = 0;
  std::string stripe_price_monthly, stripe_price_annual, stripe_price_metered;
  bool paid() const { return price_monthly > 0 || price_annual.value_or(0) > 0 || type != "SUBSCRIPTION"; }
};

// The organization's billing state: its Stripe customer and its current subscription, if any.
struct BillingState {
  std::string organization_id;
  std::optional<std::string> stripe_customer_id;
  bool has_subscription = false;
  std::string subscription_id, plan_slug, source, status, interval;
  std::string stripe_subscription_id;
  bool cancel_at_period_end = false;
  bool had_trial = false;  // any subscription of the organization ever had a trial
};

// One invoice from Stripe, as mirrored into billing_records (minor units; times in unix seconds, 0 = none).
struct StripeInvoiceLine {
  std::string id, kind, description, price_id;
  std::int64_t quantity = 1, amount = 0, period_start = 0, period_end = 0;
  std::optional<std::int64_t> unit_price;
};
struct StripeInvoice {
  std::string id, customer, subscription, status, number, currency, hosted_url, pdf_url;
  std::int64_t period_start = 0, period_end = 0, subtotal = 0, tax = 0, discount = 0, total = 0, amount_due = 0,
               amount_paid = 0, created = 0, due_date = 0, paid_at = 0, voided_at = 0, attempt_count = 0;
  bool attempted = false;
  std::vector<StripeInvoiceLine> lines;
};
// What mirroring an invoice changed: the organization and whether it became paid/failed just now.
struct InvoiceApplied {
  bool known = false;  // the customer belongs to an organization here
  std::string record_id, organization_id;
  bool became_paid = false, became_failed = false;
};

// A plan and the Stripe objects that stand for it (ids empty until created).
struct PlanSync {
  std::string id, slug, name, description, type, status, currency;
  std::int64_t price_monthly = 0, overage_price = 0, overage_block = 1000;
  std::optional<std::int64_t> price_annual;
  std::string product, price_monthly_id, price_annual_id, price_metered_id, meter_id;
};

// A row of the meter-report ledger still to send.
struct MeterReport {
  std::string id, identifier, event_name, customer;
  std::int64_t units = 0, bucket_start_s = 0;
};

struct StoredEvent {
  std::string type, status, payload;
};

// The billing domain's SQL.
struct AdminWho {
  std::string admin_id, request_id, ip, user_agent, reason;
};

class BillingRepository {
 public:
  explicit BillingRepository(db::Database& db) : db_(db) {}
  // Stores a verified delivery once: true when it is new, false for a redelivery of a stored event.
  Task<Result<bool>> store_webhook_event(const WebhookEvent& e);
  Task<Result<std::optional<StoredEvent>>> webhook_event(const std::string& stripe_event_id);
  Task<Status> mark_event(const std::string& stripe_event_id, const std::string& status, const std::string& error);
  // Mirrors Stripe's state of a subscription into `subscriptions` (insert or update by its Stripe id; another
  // current subscription of the organization ends). Nothing is written when the customer's organization or the
  // price's plan is unknown: returns false then.
  Task<Result<bool>> apply_subscription(const StripeSubscription& s, int grace_days);
  // The public catalog (/api/plans): active, public plans in display order, as Plan JSON documents.
  Task<Result<std::string>> public_plans_json();
  // One plan's Plan JSON (by slug or id).
  Task<Result<nlohmann::json>> plan_json(const std::string& slug_or_id);
  // The organization's current subscription as a Subscription JSON document (Free when it has none).
  Task<Result<std::string>> subscription_json(const std::string& organization_id);
  // The organization a Stripe customer stands for (billing email, else the owner's); nothing when unknown.
  Task<Result<std::optional<CustomerTarget>>> customer_target(const std::string& organization_id);
  // Records the customer id unless one is already recorded; returns the id that is recorded now.
  Task<Result<std::string>> set_customer_id(const std::string& organization_id, const std::string& customer_id);

  // An audit row for a customer's billing action (no secrets in `detail`).
  Task<Status> audit_billing(const std::string& organization_id, const std::string& user_id, const std::string& action,
                             const nlohmann::json& detail, const std::string& request_id);
  // Invoices mirrored before their subscription get linked to it once it is mirrored.
  Task<Status> link_invoices(const std::string& stripe_subscription_id);
  // customer.deleted: the organization forgets the customer (a new one is created when it is needed again).
  Task<Status> forget_customer(const std::string& stripe_customer_id);

  // Subscription flows (subscription_repository.cpp).
  // A plan by slug or id, archived ones included (the caller decides).
  Task<Result<std::optional<PlanRef>>> plan(const std::string& slug_or_id);
  Task<Result<BillingState>> billing_state(const std::string& organization_id);
  // Local mode: the organization moves to `plan_id` at once, within its current period when the interval is the
  // same (usage already counted stays counted); a Free target ends the current subscription instead.
  Task<Status> change_local_plan(const std::string& organization_id, const PlanRef& plan, const std::string& interval,
                                 const std::string& actor_user_id, const std::string& request_id);
  // Local/manual subscriptions: schedule or undo the end at period end; false when there is nothing to change.
  Task<Result<bool>> set_local_cancel(const std::string& organization_id, bool cancel, const std::string& actor_user_id,
                                      const std::string& request_id);
  // The next invoice's estimate (UpcomingInvoice JSON without billingMode).
  Task<Result<nlohmann::json>> upcoming_json(const std::string& organization_id);

  // The catalog as admins edit it (plan_repository.cpp). Plans are documents shaped like PlanInput, complete.
  Task<Result<nlohmann::json>> admin_plans_json();
  Task<Result<std::optional<nlohmann::json>>> admin_plan_json(const std::string& plan_id);
  // Nothing when the slug is taken. `sync` queues the Stripe sync job in the same statement.
  // `who`: the admin, request id, client IP and user agent, and the (optional) reason, for the audit row.
  Task<Result<std::optional<std::string>>> create_plan(const nlohmann::json& plan, const AdminWho& who, bool sync);
  Task<Result<bool>> update_plan(const std::string& plan_id, const nlohmann::json& merged,
                                 const nlohmann::json& changed, const AdminWho& who, bool sync);
  Task<Result<std::optional<PlanSync>>> plan_for_sync(const std::string& plan_id);
  Task<Status> record_plan_sync(const PlanSync& s);
  // Queues a sync for every plan never synced (once per plan: the job key is fixed).
  Task<Status> queue_unsynced_plans();

  // Meter reports (meter_repository.cpp): plan the rows for whole hours before `before_s` (scanning hours from
  // `scan_from_s`), then send the unsent ones.
  Task<Status> plan_meter_reports(std::int64_t before_s, std::int64_t scan_from_s);
  Task<Result<std::vector<MeterReport>>> unsent_meter_reports(int limit);
  Task<Status> mark_meter_report(const std::string& id, const std::string& status, const std::string& error);
  Task<Result<std::optional<std::int64_t>>> cursor(const std::string& name);
  Task<Status> set_cursor(const std::string& name, std::int64_t position_s);

  // Invoices (invoice_repository.cpp).
  Task<Result<InvoiceApplied>> apply_invoice(const StripeInvoice& inv);
  Task<Result<nlohmann::json>> invoice_page(const std::string& organization_id, int limit,
                                            const std::optional<std::string>& cursor);
  Task<Result<std::optional<nlohmann::json>>> invoice_json(const std::string& organization_id,
                                                           const std::string& invoice_id);
  // Local mode period end: bills and rolls forward (or ends) up to `limit` due local subscriptions; returns how
  // many were handled.
  Task<Result<int>> renew_local_subscriptions(int limit);
  // Local dunning: overdue local invoices make their subscription past due (grace starts); paid ones cure it.
  Task<Status> local_dunning(int grace_days);
  // Queues the 80 % / 100 % quota emails (once per organization, threshold and period).
  Task<Status> queue_quota_notices();
  // "<source> and <status>" of an invoice, for explaining a refusal; nothing when unknown.
  Task<Result<std::optional<std::string>>> invoice_state(const std::string& invoice_id);
  // Admin: mark a local invoice paid; nothing when the invoice is unknown or not open/failed.
  Task<Result<std::optional<nlohmann::json>>> mark_invoice_paid(const std::string& invoice_id,
                                                                const std::string& admin_user_id,
                                                                const std::string& reason,
                                                                const std::string& request_id);

 private:
  db::Database& db_;
};

}  // namespace tg::billing
