#pragma once
#include <atomic>
#include <cstdint>

#include "core/clock.hpp"
#include "core/config.hpp"
#include "db/db.hpp"
#include "http/router.hpp"
#include "redis/client.hpp"

namespace tg::auth {
class AuthService;
}
namespace tg::keys {
class KeyRepository;
}
namespace tg::verify {
class VerifyService;
}
namespace tg::usage {
class UsageRepository;
}
namespace tg::admin {
class AdminRepository;
}
namespace tg::analytics {
class AnalyticsRepository;
}
namespace tg::notifications {
class NotificationRepository;
}
namespace tg::orgs {
class OrgRepository;
}
namespace tg::gateway {
struct GatewayDeps;
}
namespace tg::billing {
class WebhookService;
class BillingRepository;
class BillingService;
}  // namespace tg::billing

namespace tg::app {

struct RouteDeps {
  const Config& cfg;
  db::Database& db;
  PerWorker<redis::Client>* redis;  // null without REDIS_URL
  auth::AuthService* auth;          // null in tests that only check the ops routes
  keys::KeyRepository* keys = nullptr;
  verify::VerifyService* verify = nullptr;
  usage::UsageRepository* usage = nullptr;
  const Clock* clock = nullptr;
  const gateway::GatewayDeps* gateway = nullptr;
  billing::WebhookService* webhooks = nullptr;
  billing::BillingRepository* billing = nullptr;
  bool stripe_mode = false;  // STRIPE_SECRET_KEY set
  billing::BillingService* billing_service = nullptr;
  orgs::OrgRepository* orgs = nullptr;
  admin::AdminRepository* admin = nullptr;
  notifications::NotificationRepository* notifications = nullptr;
  analytics::AnalyticsRepository* analytics = nullptr;
  // The port the server listens on, once known (PORT=0 picks one at start, after the routes are built).
  const std::atomic<std::uint16_t>* listening_port = nullptr;
};

// The whole route table, in one place; the server and the spec-conformance test both build it from here.
void register_routes(http::Router& router, const RouteDeps& deps);

}  // namespace tg::app
