#include "app/app.hpp"

#include <sys/statvfs.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <cstdio>
#include <filesystem>
#include <future>
#include <iostream>
#include <thread>

#include <boost/asio/thread_pool.hpp>
#include "accounts/bootstrap.hpp"
#include "accounts/password.hpp"
#include "admin/admin_repository.hpp"
#include "analytics/analytics_repository.hpp"
#include "app/routes.hpp"
#include "auth/auth_handlers.hpp"
#include "billing/billing_service.hpp"
#include "billing/customer_sync.hpp"
#include "billing/event_processor.hpp"
#include "billing/meter_reporter.hpp"
#include "billing/plan_admin.hpp"
#include "billing/webhook_service.hpp"
#include "cache/response_cache.hpp"
#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/embedded.hpp"
#include "core/http_fetch.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "core/time.hpp"
#include "db/db.hpp"
#include "db/listener.hpp"
#include "db/migrate.hpp"
#include "gateway/gateway.hpp"
#include "http/client.hpp"
#include "http/pipeline.hpp"
#include "http/server.hpp"
#include "http/static_files.hpp"
#include "jobs/queue.hpp"
#include "keys/key_repository.hpp"
#include "mail/outbox.hpp"
#include "notifications/notification_repository.hpp"
#include "ops/ops_cli.hpp"
#include "orgs/org_handlers.hpp"
#include "ratelimit/redis_limiter.hpp"
#include "usage/spool.hpp"
#include "usage/usage_handlers.hpp"
#include "verify/verify_service.hpp"

namespace tg::app {
namespace {

constexpr const char* kUsage = R"(tollgate: sell access to your API.

Usage:
  tollgate serve          Run the HTTP server (dashboard, API, gateway). Applies migrations first when
                          AUTO_MIGRATE is true (the default outside production).
  tollgate migrate        Apply pending database migrations and exit.
  tollgate create-admin [--email E] [--password P] [--if-none]
                          Create an administrator (verified email, personal organization). Email and password
                          default to ADMIN_EMAIL / ADMIN_PASSWORD; without a password one is generated and
                          printed once. --if-none does nothing when an admin already exists.
  tollgate service-token create --name N [--scope S]...
                          Create an operator service token for POST /v1/keys/verify (scope keys:verify by
                          default) and print it once, alone on the last line.
  tollgate endpoints list | add --path P --upstream URL [--method M] [--cost N] [--rate-limit N]
                          [--timeout-ms N] [--public] [--description D] | remove ID
                          The gateway's API catalog (/gw/<path> → upstream). Changes apply within 5 s.
  tollgate smoke --url URL [--key K] [--service-token T] [--timeout SECONDS]
                          Read-only check of a deployed instance (health, readiness, OpenAPI, web app,
                          security headers, problem+json; with a key: one verify of cost 0, or /gw/echo
                          without a token). Prints a pass/fail table; exit 1 when a check fails. The key
                          and token may come from SMOKE_API_KEY / SMOKE_SERVICE_TOKEN instead.
  tollgate backup [--dir D] [--keep-days N]
                          pg_dump (custom format) into BACKUP_DIR (default VAR_DIR/backups), then delete
                          backups older than BACKUP_RETENTION_DAYS (default 30; the newest is always kept).
  tollgate restore FILE [--force]
                          Restore a backup into DATABASE_URL, in one transaction. Refuses a database that
                          is not empty unless --force (which replaces its public schema, kept aside until
                          the restore has committed).
  tollgate version        Print the version.
  tollgate --help         This text.

Configuration comes from the environment, then ./.env, then var/tollgate.env (written by `make run`), so a
command run from the checkout talks to the embedded development database with no set-up.
Every variable is documented in docs/configuration.md. Secrets also accept NAME_FILE=/path.
)";

struct Loaded {
  Config cfg;
};

std::optional<Config> load(char** envp) {
  std::error_code ec;
  auto cwd = std::filesystem::current_path(ec).string();
  auto env = gather_env(envp, cwd);
  if (auto s = ensure_dev_secrets(env); !s) {
    std::fprintf(stderr, "tollgate: configuration error: %s\n", s.error().detail.c_str());
    return std::nullopt;
  }
  auto cfg = load_config(env);
  if (!cfg) {
    std::fprintf(stderr, "tollgate: configuration error: %s\n", cfg.error().detail.c_str());
    return std::nullopt;
  }
  return cfg.value();
}

db::PoolOptions pool_options(const Config& cfg, int workers) {
  db::PoolOptions o;
  o.conninfo = cfg.database_url;
  o.size = std::max(1, (cfg.db_pool_size + workers - 1) / workers);
  o.connect_timeout = cfg.db_connect_timeout;
  o.statement_timeout = cfg.db_statement_timeout;
  o.transaction_pooling = cfg.db_transaction_pooling;
  return o;
}

// Runs a coroutine to completion on a private io_context (CLI commands).
template <class T>
T block_on(asio::io_context& ctx, Task<T> task) {
  std::optional<T> out;
  asio::co_spawn(ctx, std::move(task), [&](std::exception_ptr e, T v) {
    if (e) std::rethrow_exception(e);
    out = std::move(v);
  });
  ctx.run();
  ctx.restart();
  return std::move(*out);
}

// CLI commands talk to the database from the main thread with one connection and a patient dial.
std::unique_ptr<db::Database> cli_database(const Config& cfg, asio::io_context& ctx) {
  auto opts = pool_options(cfg, 1);
  opts.connect_timeout = std::chrono::seconds(10);
  auto database = std::make_unique<db::Database>(opts);
  database->add_worker(ctx.get_executor());
  return database;
}

int cmd_migrate(const Config& cfg) {
  if (cfg.database_url.empty()) {
    std::fprintf(stderr, "tollgate: configuration error: DATABASE_URL: is required\n");
    return 2;
  }
  log::init("", log::parse_level(cfg.log_level, log::Level::info));
  asio::io_context ctx;
  auto database = cli_database(cfg, ctx);
  auto r = block_on(ctx, db::migrate(*database, embedded::migrations()));
  if (!r) {
    std::fprintf(stderr, "tollgate: migration failed: %s\n",
                 r.error().cause.empty() ? r.error().detail.c_str() : r.error().cause.c_str());
    return 1;
  }
  std::printf("migrations: %d applied, %zu known\n", r.value(), embedded::migrations().size());
  return 0;
}

constexpr db::Query kPartitions{"usage_ensure_partitions", "SELECT ensure_usage_partitions(current_date, 3)"};
// Raw events older than the retention are dropped a whole month at a time; rollups are kept.
constexpr db::Query kRetention{"usage_drop_old_partitions",
                               "SELECT drop_usage_partitions_before((now() - make_interval(days => $1::int))::date)"};

// Next months' partitions exist before events arrive for them; raw events past the retention go.
Task<void> usage_upkeep(const Config& cfg, db::Database& database) {
  auto p = co_await database.query(kPartitions);
  if (!p) log::warn("usage partition upkeep failed", {{"cause", p.error().cause}});
  db::Params days{std::to_string(cfg.usage_retention_days)};
  auto d = co_await database.query(kRetention, std::move(days));
  if (!d) log::warn("usage retention upkeep failed", {{"cause", d.error().cause}});
}

// The same upkeep every six hours for a long-running server (both functions are idempotent and take an advisory
// lock, so several instances doing it is harmless).
Task<void> periodic_upkeep(const Config& cfg, db::Database& database, const std::atomic<bool>& stop) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!stop.load()) {
    timer.expires_after(std::chrono::hours(6));
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (stop.load()) break;
    co_await usage_upkeep(cfg, database);
  }
}

// Periodic notifications: keys that expire within 7 days (each key, expiry and recipient once: the dedupe key).
Task<void> notification_upkeep(const Config& cfg, notifications::NotificationRepository& repo,
                               const std::atomic<bool>& stop) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!stop.load()) {
    timer.expires_after(cfg.billing_job_interval);
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (stop.load()) break;
    auto n = co_await repo.notify_expiring_keys();
    if (!n) log::warn("expiring-key notifications failed", {{"cause", n.error().cause}});
  }
}

// Admin analytics rollups: a one-time backfill, then yesterday and today every interval (yesterday too, for late
// usage and invoices), and today's snapshots (MRR). Every instance may run it; the upserts are idempotent.
Task<void> analytics_upkeep(const Config& cfg, analytics::AnalyticsRepository& repo, const Clock& clock,
                            cache::ResponseCache& cache, const std::atomic<bool>& stop) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  bool backfilled = false;
  std::chrono::milliseconds wait = std::chrono::seconds(3);
  while (!stop.load()) {
    timer.expires_after(wait);
    wait = cfg.billing_job_interval;
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (stop.load()) break;
    if (!backfilled) {
      auto b = co_await repo.backfill_once();
      if (!b) {
        log::warn("analytics backfill failed; retrying in a minute", {{"cause", b.error().cause}});
        wait = std::min<std::chrono::milliseconds>(wait, std::chrono::minutes(1));
        continue;
      }
      backfilled = true;
    }
    const std::int64_t today_ms = clock.now_ms() / 86'400'000 * 86'400'000;
    const std::string today = format_rfc3339_ms(today_ms).substr(0, 10);
    const std::string yesterday = format_rfc3339_ms(today_ms - 86'400'000).substr(0, 10);
    if (auto r = co_await repo.refresh(yesterday, today); !r)
      log::warn("analytics refresh failed", {{"cause", r.error().cause}});
    if (auto s = co_await repo.snapshot(); !s) log::warn("analytics snapshot failed", {{"cause", s.error().cause}});
    std::vector<std::string> none;
    co_await cache.bump(std::move(none));  // cached admin reports predate this refresh
  }
}

// Periodic billing work: local-mode period ends (invoice, then renew or end). Every instance runs it; the
// queries take one row at a time with SKIP LOCKED, so the work is shared and never done twice.
Task<void> billing_upkeep(const Config& cfg, billing::BillingRepository& repo, billing::MeterReporter& meters,
                          bool stripe_mode, const std::atomic<bool>& stop) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  bool plans_queued = !stripe_mode || !cfg.stripe_sync_plans_on_start;
  while (!stop.load()) {
    // The first round soon after start (once migrations ran), then every interval.
    if (plans_queued)
      timer.expires_after(cfg.billing_job_interval);
    else
      timer.expires_after(std::chrono::seconds(2));
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (stop.load()) break;
    if (!plans_queued) {
      auto queued = co_await repo.queue_unsynced_plans();
      if (queued)
        plans_queued = true;
      else
        log::warn("queueing plan syncs failed; retrying", {{"cause", queued.error().cause}});
    }
    auto renewed = co_await repo.renew_local_subscriptions(500);
    if (!renewed)
      log::warn("local renewals failed", {{"cause", renewed.error().cause}});
    else if (renewed.value() > 0)
      log::info("local subscriptions renewed", {{"count", renewed.value()}});
    if (auto d = co_await repo.local_dunning(cfg.payment_grace_days); !d)
      log::warn("local dunning failed", {{"cause", d.error().cause}});
    if (auto q = co_await repo.queue_quota_notices(); !q)
      log::warn("quota notices failed", {{"cause", q.error().cause}});
    const auto now_s = static_cast<std::int64_t>(std::time(nullptr));
    auto reported = co_await meters.run_once(now_s);
    if (!reported) log::warn("meter reporting failed", {{"cause", reported.error().cause}});
  }
}

// Migrations (when enabled) and schema upkeep; retried until the database is reachable, so the server starts
// and reports not-ready instead of crashing when PostgreSQL comes up later than Tollgate.
Task<void> startup_tasks(const Config& cfg, db::Database& database, jobs::Queue& queue,
                         std::function<void()> after_migrations, const std::atomic<bool>& stop) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!stop.load()) {
    bool ok = true;
    if (cfg.auto_migrate) {
      auto r = co_await db::migrate(database, embedded::migrations());
      if (!r) {
        ok = false;
        log::error("auto-migrate failed; retrying", {{"cause", r.error().cause}});
      }
    }
    if (ok) {
      // Readers of the schema start now: a catalog read between two migrations would be complete-looking but empty.
      after_migrations();
      co_await usage_upkeep(cfg, database);
      break;
    }
    timer.expires_after(std::chrono::seconds(3));
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
  if (!stop.load()) co_await queue.run(stop);
}

// Each I/O thread writes its batched access-log lines a few times a second.
Task<void> access_log_flusher(const std::atomic<bool>& stop) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!stop.load()) {
    timer.expires_after(std::chrono::milliseconds(250));
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    log::flush_access();
  }
}

// Keeps this thread's Redis connection dialled (the client dials lazily), so /metrics shows a lost Redis within
// seconds even when no request needs it, and shared counting resumes before the next request does.
Task<void> redis_keepalive(redis::Client& client, const std::atomic<bool>& stop) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (!stop.load()) {
    std::vector<std::string> ping{"PING"};
    auto r = co_await client.command(std::move(ping));
    (void)r;  // failures are counted by the callers that need Redis; this only re-dials
    timer.expires_after(std::chrono::seconds(2));
    boost::system::error_code ec;
    co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  }
}

// Free space of the filesystem holding VAR_DIR (the usage spool and logs): a full disk stops metering.
void register_disk_metrics(const std::string& var_dir) {
  metrics::registry().collector(
      "tollgate_disk_free_bytes", "Free bytes on the filesystem holding VAR_DIR", "gauge", [var_dir](std::string& out) {
        struct statvfs st {};
        if (::statvfs(var_dir.c_str(), &st) != 0) return;
        out += "tollgate_disk_free_bytes{path=\"var\"} " +
               std::to_string(static_cast<unsigned long long>(st.f_bavail) * st.f_frsize) + "\n";
      });
  metrics::registry().collector(
      "tollgate_disk_size_bytes", "Size of the filesystem holding VAR_DIR", "gauge", [var_dir](std::string& out) {
        struct statvfs st {};
        if (::statvfs(var_dir.c_str(), &st) != 0) return;
        out += "tollgate_disk_size_bytes{path=\"var\"} " +
               std::to_string(static_cast<unsigned long long>(st.f_blocks) * st.f_frsize) + "\n";
      });
}

int cmd_serve(const Config& cfg) {
  if (cfg.database_url.empty()) {
    std::fprintf(stderr,
                 "tollgate: configuration error: DATABASE_URL: is required (make run starts a local cluster)\n");
    return 2;
  }
  log::init(cfg.log_dir, log::parse_level(cfg.log_level, log::Level::info));
  const int n = cfg.threads;
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<asio::io_context*> raw;
  for (int i = 0; i < n; ++i) {
    contexts.push_back(std::make_unique<asio::io_context>(1));
    raw.push_back(contexts.back().get());
  }
  SystemClock clock;
  db::Database database(pool_options(cfg, n));
  for (auto* c : raw) database.add_worker(c->get_executor());
  database.register_metrics();
  // DATABASE_READ_URL: analytics reads go to a replica; everything else (and every write) to the primary.
  std::unique_ptr<db::Database> read_database;
  if (!cfg.database_read_url.empty()) {
    auto ro = pool_options(cfg, n);
    ro.conninfo = cfg.database_read_url;
    read_database = std::make_unique<db::Database>(ro);
    for (auto* c : raw) read_database->add_worker(c->get_executor());
  }
  db::Database& analytics_db = read_database ? *read_database : database;

  std::unique_ptr<PerWorker<redis::Client>> redis_clients;
  std::unique_ptr<ratelimit::RedisLimiter> redis_limiter;
  if (!cfg.redis_url.empty()) {
    auto ep = redis::parse_url(cfg.redis_url);
    if (!ep) {
      std::fprintf(stderr, "tollgate: configuration error: %s\n", ep.error().detail.c_str());
      return 2;
    }
    redis_clients = std::make_unique<PerWorker<redis::Client>>();
    for (auto* c : raw)
      redis_clients->add(std::make_unique<redis::Client>(c->get_executor(), ep.value(), cfg.redis_timeout));
    redis_limiter = std::make_unique<ratelimit::RedisLimiter>(*redis_clients);
    metrics::registry().collector(
        "tollgate_redis_connections", "Redis connections: configured and connected", "gauge",
        [clients = redis_clients.get()](std::string& out) {
          int connected = 0;
          for (auto& c : clients->all()) connected += c->connected() ? 1 : 0;
          out += "tollgate_redis_connections{state=\"configured\"} " + std::to_string(clients->all().size()) + "\n";
          out += "tollgate_redis_connections{state=\"connected\"} " + std::to_string(connected) + "\n";
        });
  }
  register_disk_metrics(cfg.var_dir);
  ratelimit::FallbackLimiter limiter(std::move(redis_limiter), std::make_unique<ratelimit::MemoryLimiter>(clock),
                                     clock);

  jobs::Queue queue(database, "tollgate-" + std::to_string(::getpid()));
  // Password hashing runs here, off the I/O threads; two threads bound argon2id's memory (64 MiB each).
  asio::thread_pool cpu_pool(2);
  auth::Jwt jwt(auth::JwtSettings{cfg.jwt_secret, "tollgate", "tollgate-api"}, clock);
  auth::AuthRepository auth_repo(database);
  auth::AuthSettings auth_settings;
  auth_settings.access_ttl_seconds =
      static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(cfg.jwt_expiry).count());
  auth_settings.refresh_ttl_seconds =
      static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(cfg.jwt_refresh_expiry).count());
  auth_settings.admin_ip_allowlist = cfg.admin_ip_allowlist;
  // TOTP seeds are sealed with ENCRYPTION_KEY, or a key derived from JWT_SECRET when it is unset.
  std::string encryption_key = cfg.encryption_key;
  if (encryption_key.empty()) encryption_key = "derived-from-jwt-secret:" + cfg.jwt_secret;
  auth::AuthService auth_service(auth_repo, jwt, clock, cpu_pool, auth_settings, &limiter, encryption_key);
  // Billing side effects queued by the accounts domain; the billing domain gives them their Stripe calls.
  // Stripe (unset STRIPE_SECRET_KEY = local billing mode): blocking libcurl calls on their own small pool.
  asio::thread_pool stripe_pool(2);
  std::unique_ptr<billing::StripeClient> stripe;
  if (!cfg.stripe_secret_key.empty()) {
    billing::StripeOptions so;
    so.api_base = cfg.stripe_api_base;
    so.secret_key = cfg.stripe_secret_key;
    stripe = std::make_unique<billing::StripeClient>(so, stripe_pool);
  }
  billing::BillingRepository billing_repo(database);
  billing::CustomerSync customers(billing_repo, stripe.get());
  queue.handle("stripe.create_customer", [&customers](const nlohmann::json& payload) -> Task<Status> {
    co_return co_await customers.create(payload);
  });
  queue.handle("stripe.delete_customer", [&customers](const nlohmann::json& payload) -> Task<Status> {
    co_return co_await customers.remove(payload);
  });
  billing::MeterReporter meter_reporter(billing_repo, stripe.get());
  billing::PlanSyncJob plan_sync(billing_repo, stripe.get());
  queue.handle("stripe.sync_plan", [&plan_sync](const nlohmann::json& payload) -> Task<Status> {
    co_return co_await plan_sync.run(payload);
  });
  billing::EventProcessor stripe_events(billing_repo, stripe.get(), cfg.payment_grace_days);
  queue.handle("stripe.process_event", [&stripe_events](const nlohmann::json& payload) -> Task<Status> {
    co_return co_await stripe_events.process(payload);
  });
  if (auto tls = http::configure_client(http::ClientOptions{cfg.upstream_ca_file}); !tls) {
    log::error("invalid configuration", {{"error", tls.error().detail}});
    return 2;
  }
  // Mail transports block (libcurl): they run on their own small pool.
  asio::thread_pool mail_pool(1);
  auto mailer = mail::make_mailer(cfg);
  mail::Outbox outbox(database, *mailer, mail_pool, cfg.public_url, cfg.mail_from);
  queue.handle("mail.send", [&outbox](const nlohmann::json& payload) -> Task<Status> {
    co_return co_await outbox.deliver(payload);
  });

  // Metering: the spool must open, or metered calls could not be acknowledged safely.
  usage::Spool spool(cfg.var_dir + "/spool");
  if (auto r = spool.open(); !r) {
    std::fprintf(stderr, "tollgate: %s\n", r.error().detail.c_str());
    return 1;
  }
  verify::VerifySettings verify_settings;
  verify_settings.key_window = cfg.key_rate_window;
  verify::VerifyService verify_service(database, limiter, spool, clock, verify_settings, redis_clients.get());
  const auto cache_ttl = std::chrono::duration_cast<std::chrono::seconds>(cfg.response_cache_ttl);
  cache::ResponseCache response_cache(redis_clients.get(), cache_ttl);
  usage::Shipper shipper(spool, database,
                         [&verify_service, &response_cache, &raw](const std::map<std::string, std::int64_t>& by_org) {
                           std::vector<std::string> orgs;
                           for (const auto& [org, cost] : by_org) {
                             verify_service.quota().shipped(org, cost);
                             orgs.push_back(org);
                           }
                           // New rollups: cached summaries of these organizations (and admin reports) are stale.
                           if (response_cache.enabled())
                             asio::co_spawn(*raw[0], response_cache.bump(std::move(orgs)), asio::detached);
                         });
  db::Listener key_listener(
      cfg.database_listen_url, "tollgate_keys",
      [&verify_service](const std::string& payload) { verify_service.invalidate(payload); }, cpu_pool);
  keys::KeyRepository key_repo(database);
  orgs::OrgRepository org_repo(database);
  usage::UsageRepository usage_repo(database, analytics_db);
  if (response_cache.enabled()) usage_repo.set_cache(&response_cache);

  http::Router router;
  RouteDeps deps{cfg, database, redis_clients.get(), &auth_service};
  deps.keys = &key_repo;
  deps.verify = &verify_service;
  deps.usage = &usage_repo;
  deps.clock = &clock;
  deps.orgs = &org_repo;
  admin::AdminRepository admin_repo(database);
  deps.admin = &admin_repo;
  notifications::NotificationRepository notification_repo(database);
  deps.notifications = &notification_repo;
  analytics::AnalyticsRepository analytics_repo(database, analytics_db);
  if (response_cache.enabled()) analytics_repo.set_cache(&response_cache);
  deps.analytics = &analytics_repo;
  std::atomic<std::uint16_t> listening_port{cfg.port};
  deps.listening_port = &listening_port;
  gateway::Catalog catalog(database);
  const gateway::GatewayDeps gateway_deps{catalog, verify_service, limiter, cfg.key_rate_window};
  deps.gateway = &gateway_deps;
  billing::WebhookService webhooks(billing_repo, cfg.stripe_webhook_secrets, clock);
  deps.webhooks = &webhooks;
  deps.billing = &billing_repo;
  deps.stripe_mode = stripe != nullptr;
  billing::BillingService billing_service(billing_repo, customers, stripe.get(), cfg.public_url,
                                          cfg.payment_grace_days);
  deps.billing_service = &billing_service;
  register_routes(router, deps);
  http::StaticFiles web(cfg.web_dir);
  if (!web.available()) log::warn("dashboard not built; serving the API only", {{"webDir", cfg.web_dir}});
  http::Pipeline pipeline(cfg, router, limiter, clock, web.available() ? &web : nullptr);
  pipeline.set_identify([&jwt](http::Request& req) { auth::identify(jwt, req); });
  pipeline.set_scope([&org_repo](http::Request& req) -> Task<std::optional<Error>> {
    co_return co_await orgs::resolve_organization(org_repo, req);
  });
  http::Server server(cfg, pipeline);
  auto port = server.listen(raw);
  if (!port) {
    std::fprintf(stderr, "tollgate: %s\n", port.error().detail.c_str());
    return 1;
  }
  listening_port = static_cast<std::uint16_t>(port.value());

  std::atomic<bool> stopping{false};
  queue.handle("noop", [](const nlohmann::json&) -> Task<Status> { co_return ok_status(); });
  std::function<void()> after_migrations = [&] { asio::co_spawn(*raw[0], catalog.run(stopping), asio::detached); };
  asio::co_spawn(*raw[0], startup_tasks(cfg, database, queue, after_migrations, stopping), asio::detached);
  asio::co_spawn(*raw[0], shipper.run(stopping), asio::detached);
  asio::co_spawn(*raw[0], key_listener.run(stopping), asio::detached);
  asio::co_spawn(*raw[0], periodic_upkeep(cfg, database, stopping), asio::detached);
  asio::co_spawn(*raw[0], notification_upkeep(cfg, notification_repo, stopping), asio::detached);
  asio::co_spawn(*raw[0], analytics_upkeep(cfg, analytics_repo, clock, response_cache, stopping), asio::detached);
  asio::co_spawn(*raw[0], billing_upkeep(cfg, billing_repo, meter_reporter, stripe != nullptr, stopping),
                 asio::detached);
  for (auto* c : raw) asio::co_spawn(*c, access_log_flusher(stopping), asio::detached);
  if (redis_clients)
    for (int i = 0; i < n; ++i)
      asio::co_spawn(*raw[i], redis_keepalive(*redis_clients->all()[static_cast<std::size_t>(i)], stopping),
                     asio::detached);

  std::vector<std::thread> threads;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards;
  for (int i = 0; i < n; ++i) {
    guards.push_back(asio::make_work_guard(*raw[i]));
    threads.emplace_back([i, ctx = raw[i]] {
      set_worker_index(i);
      ctx->run();
    });
  }
  log::info("listening", {{"host", cfg.host},
                          {"port", port.value()},
                          {"threads", n},
                          {"env", to_string(cfg.env)},
                          {"version", TOLLGATE_VERSION},
                          {"redis", !cfg.redis_url.empty()},
                          {"web", web.available()}});
  log::flush();

  // Graceful shutdown: stop accepting, let in-flight requests finish (bounded by SHUTDOWN_GRACE), then stop.
  asio::io_context main_ctx;
  asio::signal_set signals(main_ctx, SIGINT, SIGTERM);
  int received = 0;
  signals.async_wait([&](boost::system::error_code ec, int sig) {
    if (!ec) received = sig;
  });
  main_ctx.run();
  log::info("shutting down", {{"signal", received}, {"inFlight", server.in_flight()}});
  stopping.store(true);
  // In-flight requests finish; a request already sent on a kept-alive connection is still served.
  server.drain(std::chrono::milliseconds(300));
  auto deadline = std::chrono::steady_clock::now() + cfg.shutdown_grace;
  while ((server.in_flight() > 0 || server.open_connections() > 0) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  // Calls to Stripe, SendGrid or SMTP still blocked on a silent peer fail now (within about a second), so their
  // jobs record a retry instead of holding the exit for the peer's full timeout.
  abort_outbound_calls();
  const auto jobs_deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (queue.running() > 0 && std::chrono::steady_clock::now() < jobs_deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  int left = server.in_flight();
  for (auto* c : raw) {
    std::promise<void> flushed;
    auto done = flushed.get_future();
    asio::post(*c, [&flushed] {
      log::flush_access();
      flushed.set_value();
    });
    done.wait_for(std::chrono::seconds(1));
  }
  for (auto& g : guards) g.reset();
  for (auto* c : raw) c->stop();
  for (auto& t : threads) t.join();
  log::info("stopped", {{"unfinished", left}});
  log::shutdown();
  return 0;
}

int cmd_create_admin(const Config& cfg, int argc, char** argv) {
  std::string email = cfg.admin_email;
  std::string password = cfg.admin_password;
  bool if_none = false;
  for (int i = 2; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--if-none") {
      if_none = true;
    } else if ((a == "--email" || a == "--password") && i + 1 < argc) {
      (a == "--email" ? email : password) = argv[++i];
    } else {
      std::fprintf(stderr, "tollgate create-admin: unknown argument '%s'\n", a.c_str());
      return 2;
    }
  }
  if (email.empty()) email = "admin@tollgate.local";
  if (email.find('@') == std::string::npos || email.size() > 254) {
    std::fprintf(stderr, "tollgate create-admin: '%s' is not an email address\n", email.c_str());
    return 2;
  }
  const bool generated = password.empty();
  if (generated) password = accounts::random_password();
  if (password.size() < 12) {
    std::fprintf(stderr, "tollgate create-admin: the password must be at least 12 characters\n");
    return 2;
  }
  if (cfg.database_url.empty()) {
    std::fprintf(stderr, "tollgate: configuration error: DATABASE_URL: is required\n");
    return 2;
  }
  log::init("", log::Level::warn);
  asio::io_context ctx;
  auto database = cli_database(cfg, ctx);
  auto migrated = block_on(ctx, db::migrate(*database, embedded::migrations()));
  if (!migrated) {
    std::fprintf(stderr, "tollgate: migration failed: %s\n", migrated.error().cause.c_str());
    return 1;
  }
  auto r = block_on(ctx, accounts::create_admin(*database, {email, password, if_none}));
  if (!r) {
    if (r.error().code == ErrorCode::Conflict) {
      std::fprintf(stderr, "tollgate create-admin: a user with email %s already exists\n", email.c_str());
      return 1;
    }
    std::fprintf(stderr, "tollgate create-admin: failed: %s\n",
                 r.error().cause.empty() ? r.error().detail.c_str() : r.error().cause.c_str());
    return 1;
  }
  if (r.value() == accounts::AdminOutcome::already_exists) {
    std::printf("An administrator already exists; nothing to do.\n");
    return 0;
  }
  std::printf("Administrator created: %s\n", email.c_str());
  if (generated) {
    // Shown once, never logged or stored in clear: the operator copies it now.
    std::printf("Generated password (shown only now): %s\n", password.c_str());
  }
  std::printf("Admins must enrol two-factor authentication before using the admin API.\n");
  return 0;
}

}  // namespace

int cmd_service_token(const Config& cfg, int argc, char** argv) {
  if (argc < 3 || std::string(argv[2]) != "create") {
    std::fprintf(stderr, "usage: tollgate service-token create --name N [--scope S]...\n");
    return 2;
  }
  std::string name;
  std::vector<std::string> scopes;
  for (int i = 3; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--name" && i + 1 < argc) {
      name = argv[++i];
    } else if (a == "--scope" && i + 1 < argc) {
      std::string scope = argv[++i];
      if (scope.empty() || scope.find_first_not_of("abcdefghijklmnopqrstuvwxyz:_") != std::string::npos) {
        std::fprintf(stderr, "tollgate service-token: invalid scope '%s'\n", scope.c_str());
        return 2;
      }
      scopes.push_back(scope);
    } else {
      std::fprintf(stderr, "tollgate service-token: unknown argument '%s'\n", a.c_str());
      return 2;
    }
  }
  if (name.empty() || name.size() > 100) {
    std::fprintf(stderr, "tollgate service-token: --name (1-100 characters) is required\n");
    return 2;
  }
  if (scopes.empty()) scopes.push_back("keys:verify");
  auto token = verify::create_service_token(cfg.database_url, name, scopes);
  if (!token) {
    std::fprintf(stderr, "tollgate service-token: %s\n", token.error().detail.c_str());
    return 1;
  }
  std::printf("Service token \"%s\" created. It is shown only this once; store it as a secret:\n%s\n", name.c_str(),
              token->c_str());
  return 0;
}

int run(int argc, char** argv, char** envp) {
  std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd.empty() || cmd == "--help" || cmd == "-h" || cmd == "help") {
    std::fputs(kUsage, cmd.empty() ? stderr : stdout);
    return cmd.empty() ? 2 : 0;
  }
  if (cmd == "version" || cmd == "--version") {
    std::printf("tollgate %s\n", TOLLGATE_VERSION);
    return 0;
  }
  // Smoke checks a remote instance: it needs no local configuration (nor a database).
  if (cmd == "smoke") return ops::smoke_cli(argc, argv);
  if (cmd != "serve" && cmd != "migrate" && cmd != "create-admin" && cmd != "service-token" && cmd != "endpoints" &&
      cmd != "backup" && cmd != "restore") {
    std::fprintf(stderr, "tollgate: unknown command '%s'\n\n%s", cmd.c_str(), kUsage);
    return 2;
  }
  auto cfg = load(envp);
  if (!cfg) return 2;
  if (cmd == "migrate") return cmd_migrate(*cfg);
  if (cmd == "create-admin") return cmd_create_admin(*cfg, argc, argv);
  if (cmd == "service-token") return cmd_service_token(*cfg, argc, argv);
  if (cmd == "endpoints") return gateway::endpoints_cli(cfg->database_url, argc, argv);
  if (cmd == "backup" || cmd == "restore") {
    if (cfg->database_url.empty()) {
      std::fprintf(stderr, "tollgate %s: DATABASE_URL is required\n", cmd.c_str());
      return 2;
    }
    return cmd == "backup" ? ops::backup_cli(*cfg, argc, argv) : ops::restore_cli(*cfg, argc, argv);
  }
  return cmd_serve(*cfg);
}

}  // namespace tg::app
