#pragma once
#include <nlohmann/json.hpp>

#include "billing/billing_repository.hpp"
#include "billing/stripe_client.hpp"

namespace tg::billing {

// The `stripe.process_event` job: applies a stored webhook event. Subscription state is never taken from the
// event itself: the subscription is fetched from Stripe and mirrored, so events applied in any order, or twice,
// leave the state Stripe has now (Stripe's own advice for out-of-order delivery).
//   checkout.session.completed (subscription mode), customer.subscription.*, invoice.paid / payment_succeeded /
//   payment_failed → the subscription is re-read and mirrored (status, plan, period, cancellation, dunning dates).
//   invoice.* (created, finalized, updated, paid, payment_succeeded, payment_failed, voided,
//   marked_uncollectible) → the invoice is re-read and mirrored into billing_records with its lines; a transition
//   to paid or failed writes an audit row and queues the receipt / failure email exactly once; its subscription
//   is mirrored too.
//   customer.deleted → the organization forgets the customer id (a new one is created when needed).
//   checkout.session.completed in setup mode, payment_method.*, customer.updated, invoice.upcoming → processed
//   without a write: payment methods are always read live from Stripe.
//   Other types → ignored (kept in stripe_webhook_events).
class EventProcessor {
 public:
  EventProcessor(BillingRepository& repo, BillingGateway* stripe, int grace_days)
      : repo_(repo), stripe_(stripe), grace_days_(grace_days) {}
  Task<Status> process(const nlohmann::json& payload);

 private:
  Task<Status> mirror_subscription(const std::string& event_id, const std::string& subscription_id);
  Task<Status> mirror_invoice(const std::string& event_id, const std::string& invoice_id);
  BillingRepository& repo_;
  BillingGateway* stripe_;
  int grace_days_;
};

// Reads the fields Tollgate mirrors from a Stripe subscription object (API version 2024-06-20).
StripeSubscription parse_subscription(const nlohmann::json& object);
// The same for an invoice and its lines; an open invoice whose payment was attempted and failed is "failed".
StripeInvoice parse_invoice(const nlohmann::json& object);

}  // namespace tg::billing
