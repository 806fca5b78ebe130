#pragma once
#include <optional>
#include <string>

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

// The billing domain's SQL.
class BillingRepository {
 public:
  explicit BillingRepository(db::Database& db) : db_(db) {}
  // Stores a verified delivery once: true when it is new, false for a redelivery of a stored event.
  Task<Result<bool>> store_webhook_event(const WebhookEvent& e);

 private:
  db::Database& db_;
};

}  // namespace tg::billing
