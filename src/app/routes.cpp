#include "app/routes.hpp"

#include "admin/admin_handlers.hpp"
#include "analytics/analytics_handlers.hpp"
#include "auth/auth_handlers.hpp"
#include "billing/billing_handlers.hpp"
#include "billing/plan_admin.hpp"
#include "billing/plan_handlers.hpp"
#include "billing/webhook_service.hpp"
#include "gateway/gateway.hpp"
#include "http/client.hpp"
#include "keys/key_handlers.hpp"
#include "notifications/notification_handlers.hpp"
#include "ops/ops_handlers.hpp"
#include "orgs/org_handlers.hpp"
#include "usage/usage_handlers.hpp"
#include "verify/verify_service.hpp"

namespace tg::app {

void register_routes(http::Router& router, const RouteDeps& deps) {
  ops::OpsDeps ops_deps{deps.cfg, deps.db, deps.redis, nullptr};
  if (deps.gateway) ops_deps.gateway_loaded = [catalog = &deps.gateway->catalog] { return catalog->loaded(); };
  ops::register_routes(router, ops_deps);
  if (deps.auth) {
    auth::register_routes(router, *deps.auth);
    auth::register_account_routes(router, *deps.auth);
  }
  if (deps.keys && deps.clock) keys::register_routes(router, *deps.keys, *deps.clock);
  if (deps.verify) verify::register_routes(router, *deps.verify);
  if (deps.usage && deps.clock) usage::register_routes(router, *deps.usage, *deps.clock);
  if (deps.gateway) gateway::register_routes(router, *deps.gateway);
  if (deps.orgs) orgs::register_routes(router, *deps.orgs);
  if (deps.notifications) notifications::register_routes(router, *deps.notifications);
  if (deps.analytics && deps.auth && deps.clock)
    analytics::register_routes(router, *deps.auth, *deps.analytics, *deps.clock);
  if (deps.webhooks) billing::register_routes(router, *deps.webhooks);
  if (deps.billing) billing::register_plan_routes(router, *deps.billing, deps.stripe_mode);
  if (deps.billing_service) billing::register_billing_routes(router, *deps.billing_service);
  if (deps.auth && deps.admin && deps.gateway) {
    admin::SelfAddress self;
    self.port = deps.cfg.port;
    self.listening = deps.listening_port;
    if (auto pub = http::parse_upstream(deps.cfg.public_url)) {
      self.public_host = pub->host;
      for (auto& c : self.public_host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      self.public_port = pub->port;
    }
    admin::register_routes(router,
                           admin::AdminDeps{*deps.auth, *deps.admin, deps.gateway->limiter, deps.gateway->catalog,
                                            deps.cfg.ip_limit, deps.cfg.user_limit, deps.gateway->key_window, self});
  }
  if (deps.billing && deps.auth) {
    billing::register_plan_admin_routes(router, *deps.auth, *deps.billing, deps.stripe_mode);
    billing::register_invoice_admin_routes(router, *deps.auth, *deps.billing);
  }
}

}  // namespace tg::app
