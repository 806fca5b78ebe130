#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/net.hpp"

namespace tg {

using EnvMap = std::map<std::string, std::string>;

enum class Environment { development, test, production };
const char* to_string(Environment e);

struct LimitRule {
  std::int64_t max = 0;
  std::chrono::milliseconds window{0};
};

// Validated once at start; immutable afterwards. Every field has a documented variable in docs/configuration.md.
struct Config {
  Environment env = Environment::development;
  std::string host;
  std::uint16_t port = 3001;
  int threads = 1;
  std::string database_url;
  // Optional replica for analytics reads (usage and admin analytics); empty: everything on DATABASE_URL.
  std::string database_read_url;
  // LISTEN needs a session of its own: behind a transaction pooler it must bypass the pooler (default DATABASE_URL).
  std::string database_listen_url;
  // Behind PgBouncer in transaction mode: no prepared statements, no startup options (statement_timeout must be
  // set on the database role instead).
  bool db_transaction_pooling = false;
  // Analytics answers cached in Redis (0: off; needs REDIS_URL). New rollups invalidate them at once.
  std::chrono::milliseconds response_cache_ttl{0};
  std::string redis_url;
  bool auto_migrate = true;
  int db_pool_size = 8;
  std::chrono::milliseconds db_connect_timeout{2000};
  std::chrono::milliseconds db_statement_timeout{5000};
  std::chrono::milliseconds redis_timeout{50};
  std::size_t body_limit = 1024 * 1024;
  std::uint64_t gateway_body_limit = 100ull * 1024 * 1024;  // /gw/ request bodies (streamed above 1 MiB)
  std::size_t header_limit = 16 * 1024;
  std::chrono::milliseconds read_timeout{30000};
  std::chrono::milliseconds idle_timeout{60000};
  std::chrono::milliseconds shutdown_grace{10000};
  std::vector<std::string> cors_origins;
  LimitRule ip_limit{100, std::chrono::minutes(15)};
  LimitRule user_limit{1000, std::chrono::minutes(15)};
  // Window of the per-key limit ("per minute" in plans). Shorter only in tests, to make windows fast.
  std::chrono::milliseconds key_rate_window{std::chrono::minutes(1)};
  int usage_retention_days = 400;  // raw usage_events; rollups are kept forever
  std::vector<net::Cidr> trusted_proxies;
  // ADMIN_IP_ALLOWLIST: when set, /api/admin/* answers only clients (after TRUSTED_PROXIES) inside these CIDRs.
  std::vector<net::Cidr> admin_ip_allowlist;
  bool trust_proxy_tls = false;
  std::string web_dir = "web/dist";
  std::string var_dir = "var";
  std::string log_dir = "var/log";
  std::string backup_dir = "var/backups";  // `tollgate backup`
  int backup_retention_days = 30;
  std::string log_level = "info";
  bool test_hooks = false;
  bool access_log_probes = false;  // access-log /healthz and /readyz too (probes fire every few seconds)
  std::string jwt_secret;
  std::chrono::milliseconds jwt_expiry{std::chrono::minutes(15)};
  std::chrono::milliseconds jwt_refresh_expiry{std::chrono::hours(24 * 7)};
  std::string stripe_secret_key;
  std::string stripe_webhook_secret;
  std::string stripe_api_base = "https://api.stripe.com";
  int payment_grace_days = 7;  // PAYMENT_GRACE_DAYS: past due → metered access refused after this
  // BILLING_JOB_INTERVAL_SECONDS: how often the periodic billing work runs (local renewals, meter reports).
  std::chrono::seconds billing_job_interval{60};
  bool stripe_sync_plans_on_start = true;  // STRIPE_SYNC_PLANS_ON_START: queue a Stripe sync of never-synced plans
  std::vector<std::string> stripe_webhook_secrets;  // STRIPE_WEBHOOK_SECRET split at commas (rotation)
  std::string sendgrid_api_key;
  std::string admin_email;
  std::string admin_password;
  std::string public_url;  // base of links in emails; default http://localhost:PORT
  std::string smtp_url;    // smtp:// (STARTTLS when offered) or smtps://; credentials may be in the URL
  std::string mail_from;
  std::string upstream_ca_file;  // extra CAs trusted for https gateway upstreams
  std::string mail_transport;    // smtp | sendgrid | dev
  std::string sendgrid_url;
  // Key for secrets the server must read back (TOTP seeds). Empty: derived from JWT_SECRET (see docs/configuration.md).
  std::string encryption_key;
};

// Reads KEY=VALUE lines (comments, blank lines, optional quotes, optional `export `).
EnvMap parse_env_file(const std::string& text);
// var/tollgate.env < .env < the process environment.
EnvMap gather_env(char** environ_ptr, const std::string& cwd);

std::optional<std::chrono::milliseconds> parse_duration(const std::string& text);

// Validates everything; the error's detail names the variable. `generated` receives secrets invented for dev mode.
Result<Config> load_config(const EnvMap& env);

// In development/test, a missing JWT_SECRET is generated once and kept in VAR_DIR/secrets.env.
Status ensure_dev_secrets(EnvMap& env);

}  // namespace tg
