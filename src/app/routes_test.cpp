#include "app/routes.hpp"
#include "admin/admin_repository.hpp"
#include "analytics/analytics_repository.hpp"
#include "billing/billing_service.hpp"
#include "billing/webhook_service.hpp"
#include "notifications/notification_repository.hpp"
#include "orgs/org_repository.hpp"

#include <gtest/gtest.h>

#include <set>

#include <boost/asio/thread_pool.hpp>
#include "auth/auth_service.hpp"
#include "core/embedded.hpp"
#include "gateway/gateway.hpp"
#include "keys/key_repository.hpp"
#include "ratelimit/memory_limiter.hpp"
#include "usage/usage_handlers.hpp"
#include "verify/verify_service.hpp"

namespace tg::app {
namespace {

// api/openapi.yaml is the contract: every documented route is in the spec and every spec operation is routed.
TEST(Contract, RouterAndSpecAgree) {
  Config cfg;
  cfg.jwt_secret = "x";
  db::Database db(db::PoolOptions{"postgresql://127.0.0.1:1/none", 1, {}, {}});
  SystemClock clock;
  asio::thread_pool cpu(1);
  auth::Jwt jwt(auth::JwtSettings{"x"}, clock);
  auth::AuthRepository repo(db);
  auth::AuthService auth(repo, jwt, clock, cpu, auth::AuthSettings{});
  keys::KeyRepository keys(db);
  ratelimit::MemoryLimiter limiter(clock);
  usage::Spool spool("/tmp/tollgate-contract-test-spool");
  verify::VerifyService verify(db, limiter, spool, clock, verify::VerifySettings{});
  usage::UsageRepository usage(db);
  http::Router router;
  RouteDeps deps{cfg, db, nullptr, &auth};
  deps.keys = &keys;
  deps.verify = &verify;
  deps.usage = &usage;
  deps.clock = &clock;
  gateway::Catalog catalog(db);
  const gateway::GatewayDeps gw{catalog, verify, limiter, std::chrono::minutes(1)};
  deps.gateway = &gw;
  billing::BillingRepository billing(db);
  billing::WebhookService webhooks(billing, {}, clock);
  deps.webhooks = &webhooks;
  deps.billing = &billing;
  billing::CustomerSync customers(billing, nullptr);
  billing::BillingService billing_service(billing, customers, nullptr, "http://localhost", 7);
  deps.billing_service = &billing_service;
  orgs::OrgRepository orgs(db);
  deps.orgs = &orgs;
  admin::AdminRepository admin_repo(db);
  deps.admin = &admin_repo;
  notifications::NotificationRepository notification_repo(db);
  deps.notifications = &notification_repo;
  analytics::AnalyticsRepository analytics_repo(db);
  deps.analytics = &analytics_repo;
  register_routes(router, deps);

  std::set<std::string> routed;
  for (const auto& r : router.routes()) {
    if (!r.documented) continue;
    std::string pattern = r.pattern;
    // The spec writes the gateway's catch-all as a path parameter.
    if (pattern.size() > 2 && pattern.compare(pattern.size() - 2, 2, "/*") == 0)
      pattern.replace(pattern.size() - 1, 1, "{path}");
    routed.insert(r.method + " " + pattern);
  }
  auto spec = nlohmann::json::parse(embedded::openapi_json());
  std::set<std::string> documented;
  for (auto& [path, item] : spec["paths"].items()) {
    for (auto& [method, op] : item.items()) {
      std::string m = method;
      for (auto& c : m) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
      if (m == "GET" || m == "POST" || m == "PUT" || m == "PATCH" || m == "DELETE" || m == "OPTIONS")
        documented.insert(m + " " + path);
    }
  }
  for (const auto& r : routed) EXPECT_TRUE(documented.count(r)) << r << " is routed but missing from api/openapi.yaml";
  for (const auto& d : documented) EXPECT_TRUE(routed.count(d)) << d << " is in api/openapi.yaml but not routed";
  EXPECT_FALSE(routed.empty());
}

TEST(Contract, EveryOperationDocumentsProblemResponses) {
  auto spec = nlohmann::json::parse(embedded::openapi_json());
  for (auto& [path, item] : spec["paths"].items()) {
    for (auto& [method, op] : item.items()) {
      if (method == "parameters" || method == "summary" || method == "description") continue;  // path-level fields
      EXPECT_TRUE(op.contains("responses") && op["responses"].contains("default"))
          << method << " " << path << " lacks a default problem response";
      EXPECT_TRUE(op.contains("operationId")) << method << " " << path << " lacks an operationId";
    }
  }
}

TEST(Contract, TestHooksAreNotPartOfIt) {
  Config cfg;
  cfg.jwt_secret = "x";
  cfg.test_hooks = true;
  db::Database db(db::PoolOptions{"postgresql://127.0.0.1:1/none", 1, {}, {}});
  http::Router router;
  register_routes(router, RouteDeps{cfg, db, nullptr, nullptr});
  bool found = false;
  for (const auto& r : router.routes()) {
    if (r.pattern.rfind("/__test/", 0) == 0) {
      found = true;
      EXPECT_FALSE(r.documented);
    }
  }
  EXPECT_TRUE(found);
}

}  // namespace
}  // namespace tg::app
