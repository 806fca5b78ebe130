#pragma once
#include "admin/admin_repository.hpp"
#include "admin/catalog_rules.hpp"
#include "auth/auth_service.hpp"
#include "gateway/gateway.hpp"
#include "http/router.hpp"
#include "ratelimit/rate_limiter.hpp"

namespace tg::admin {

struct AdminDeps {
  auth::AuthService& auth;
  AdminRepository& repo;
  ratelimit::RateLimiter& limiter;
  gateway::Catalog& catalog;
  LimitRule ip_limit, user_limit;        // the /api limiter's rules (Config)
  std::chrono::milliseconds key_window;  // KEY_RATE_WINDOW
  SelfAddress self;
};

// /api/admin/*. Every route first passes AuthService::require_admin: from an allowed address, role ADMIN and
// two-factor enabled. Actions that affect a customer need a reason, and every action writes one audit row.
void register_routes(http::Router& router, AdminDeps deps);

}  // namespace tg::admin
