#pragma once
#include "analytics/analytics_repository.hpp"
#include "auth/auth_service.hpp"
#include "core/clock.hpp"
#include "http/router.hpp"

namespace tg::analytics {

// GET /api/admin/analytics?from=YYYY-MM-DD&to=YYYY-MM-DD (UTC days; default the last 30 days, at most 366).
void register_routes(http::Router& router, auth::AuthService& auth, AnalyticsRepository& repo, const Clock& clock);

}  // namespace tg::analytics
