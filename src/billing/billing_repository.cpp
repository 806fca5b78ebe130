#include "billing/billing_repository.hpp"

namespace tg::billing {
namespace {
const db::Query kStoreWebhookEvent{
    "billing_store_webhook_event",
    "INSERT INTO stripe_webhook_events (stripe_event_id, type, api_version, livemode, stripe_created_at, payload) "
    "VALUES ($1, $2, $3, $4::boolean, to_timestamp($5::bigint), $6::jsonb) "
    "ON CONFLICT (stripe_event_id) DO NOTHING RETURNING id"};
}  // namespace

Task<Result<bool>> BillingRepository::store_webhook_event(const WebhookEvent& e) {
  // No ?: yielding a class type in a coroutine (GCC 12, docs/architecture.md).
  db::Param created;
  if (e.created_s) created = std::to_string(*e.created_s);
  const char* livemode = e.livemode ? "true" : "false";
  db::Params p{e.stripe_event_id, e.type, e.api_version, std::string(livemode), created, e.payload};
  auto r = co_await db_.query(kStoreWebhookEvent, std::move(p));
  if (!r) co_return r.error();
  co_return !r->empty();
}

}  // namespace tg::billing
