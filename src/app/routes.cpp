#include "app/routes.hpp"

#include "admin/admin_handlers.hpp"
#include "auth/auth_handlers.hpp"
#include "ops/ops_handlers.hpp"

namespace tg::app {

void register_routes(http::Router& router, const RouteDeps& deps) {
  ops::register_routes(router, ops::OpsDeps{deps.cfg, deps.db, deps.redis});
  if (deps.auth) {
    auth::register_routes(router, *deps.auth);
    auth::register_account_routes(router, *deps.auth);
    admin::register_routes(router, *deps.auth);
  }
}

}  // namespace tg::app
