#pragma once
#include "auth/auth_service.hpp"
#include "http/router.hpp"

namespace tg::admin {

// /api/admin/*. Every route first passes AuthService::require_admin: role ADMIN and two-factor enabled.
void register_routes(http::Router& router, auth::AuthService& auth);

}  // namespace tg::admin
