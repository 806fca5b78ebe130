#include "app/routes.hpp"

#include "ops/ops_handlers.hpp"

namespace tg::app {

void register_routes(http::Router& router, const RouteDeps& deps) {
  ops::register_routes(router, ops::OpsDeps{deps.cfg, deps.db, deps.redis});
}

}  // namespace tg::app
