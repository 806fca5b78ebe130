#pragma once
#include <functional>
#include "core/config.hpp"
#include "db/db.hpp"
#include "http/router.hpp"
#include "redis/client.hpp"

namespace tg::ops {

struct OpsDeps {
  const Config& cfg;
  db::Database& db;
  PerWorker<redis::Client>* redis;  // null when REDIS_URL is unset
  // The gateway's catalog has been read once (null when there is no gateway): until then /gw routes are unknown.
  std::function<bool()> gateway_loaded;
};

// /healthz, /readyz, /metrics, /api/openapi.json, /api/version, /api/client-errors (and test hooks when enabled).
void register_routes(http::Router& router, OpsDeps deps);

}  // namespace tg::ops
