#include "core/config.hpp"

#include "core/hex.hpp"

#include <openssl/rand.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace tg {
namespace {

std::string trim(std::string s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  auto e = s.find_last_not_of(" \t\r\n");
  return s.substr(b, e - b + 1);
}

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) return std::nullopt;
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Secret variables also accept NAME_FILE (the Docker/Kubernetes secrets convention).
const char* const kSecretVars[] = {"DATABASE_URL",          "REDIS_URL",        "JWT_SECRET",     "STRIPE_SECRET_KEY",
                                   "STRIPE_WEBHOOK_SECRET", "SENDGRID_API_KEY", "ADMIN_PASSWORD", "SMTP_URL",
                                   "ENCRYPTION_KEY"};

Error bad(const std::string& var, const std::string& why) {
  return Error::of(ErrorCode::ValidationFailed, var + ": " + why);
}

std::string random_secret(std::size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  RAND_bytes(buf.data(), static_cast<int>(buf.size()));
  return to_hex(buf.data(), buf.size());
}

bool parse_bool(const std::string& v, bool& out) {
  std::string s = v;
  std::transform(s.begin(), s.end(), s.begin(), ::tolower);
  if (s == "1" || s == "true" || s == "yes" || s == "on") return out = true, true;
  if (s == "0" || s == "false" || s == "no" || s == "off" || s.empty()) return out = false, true;
  return false;
}

template <class T>
bool parse_int(const std::string& v, T& out) {
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  return ec == std::errc{} && p == v.data() + v.size();
}

std::vector<std::string> split_list(const std::string& v) {
  std::vector<std::string> out;
  std::string cur;
  std::stringstream ss(v);
  while (std::getline(ss, cur, ',')) {
    cur = trim(cur);
    if (!cur.empty()) out.push_back(cur);
  }
  return out;
}

}  // namespace

const char* to_string(Environment e) {
  switch (e) {
    case Environment::development: return "development";
    case Environment::test: return "test";
    case Environment::production: return "production";
  }
  return "development";
}

EnvMap parse_env_file(const std::string& text) {
  EnvMap out;
  std::stringstream ss(text);
  std::string line;
  while (std::getline(ss, line)) {
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    if (line.rfind("export ", 0) == 0) line = trim(line.substr(7));
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    auto key = trim(line.substr(0, eq));
    auto val = trim(line.substr(eq + 1));
    if (val.size() >= 2 && (val.front() == '"' || val.front() == '\'') && val.back() == val.front()) {
      val = val.substr(1, val.size() - 2);
    }
    if (!key.empty()) out[key] = val;
  }
  return out;
}

EnvMap gather_env(char** environ_ptr, const std::string& cwd) {
  EnvMap env;
  EnvMap process;
  for (char** e = environ_ptr; e && *e; ++e) {
    std::string kv(*e);
    auto eq = kv.find('=');
    if (eq != std::string::npos) process[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  std::string var_dir = process.count("VAR_DIR") ? process["VAR_DIR"] : cwd + "/var";
  for (const auto& file : {var_dir + "/tollgate.env", cwd + "/.env"}) {
    if (auto text = read_file(file)) {
      for (auto& [k, v] : parse_env_file(*text)) env[k] = v;
    }
  }
  for (auto& [k, v] : process) env[k] = v;
  return env;
}

std::optional<std::chrono::milliseconds> parse_duration(const std::string& raw) {
  auto text = trim(raw);
  if (text.empty()) return std::nullopt;
  std::size_t i = 0;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) ++i;
  if (i == 0) return std::nullopt;
  std::int64_t n = 0;
  if (!parse_int(text.substr(0, i), n)) return std::nullopt;
  auto unit = text.substr(i);
  using namespace std::chrono;
  // Ten years at most, checked before converting: a larger count would overflow milliseconds (found by fuzzing).
  constexpr std::int64_t kMaxMs = 10LL * 366 * 24 * 3600 * 1000;
  std::int64_t per = 0;
  if (unit == "ms")
    per = 1;
  else if (unit.empty() || unit == "s")
    per = 1000;
  else if (unit == "m")
    per = 60'000;
  else if (unit == "h")
    per = 3'600'000;
  else if (unit == "d")
    per = 86'400'000;
  else
    return std::nullopt;
  if (n < 0 || n > kMaxMs / per) return std::nullopt;
  return milliseconds(n * per);
}

Status ensure_dev_secrets(EnvMap& env) {
  auto mode = env.count("TOLLGATE_ENV") ? env["TOLLGATE_ENV"] : "development";
  if (mode == "production" || env.count("JWT_SECRET") || env.count("JWT_SECRET_FILE")) return ok_status();
  std::string var_dir = env.count("VAR_DIR") ? env["VAR_DIR"] : "var";
  std::string path = var_dir + "/secrets.env";
  if (auto text = read_file(path)) {
    auto kept = parse_env_file(*text);
    if (kept.count("JWT_SECRET") && !kept["JWT_SECRET"].empty()) {
      env["JWT_SECRET"] = kept["JWT_SECRET"];
      return ok_status();
    }
  }
  std::error_code ec;
  std::filesystem::create_directories(var_dir, ec);
  auto secret = random_secret(32);
  std::ofstream f(path, std::ios::app);
  if (!f) return Error::of(ErrorCode::Internal, "VAR_DIR: cannot write " + path);
  f << "# Generated by tollgate for development; production must set its own secrets.\nJWT_SECRET=" << secret << "\n";
  f.close();
  std::filesystem::permissions(path, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
  env["JWT_SECRET"] = secret;
  return ok_status();
}

Result<Config> load_config(const EnvMap& input) {
  EnvMap env = input;
  // NAME_FILE for secrets.
  for (const char* name : kSecretVars) {
    std::string file_var = std::string(name) + "_FILE";
    auto it = env.find(file_var);
    if (it == env.end() || it->second.empty()) continue;
    if (env.count(name) && !env[name].empty())
      return bad(file_var, std::string("both ") + name + " and " + file_var + " are set");
    auto text = read_file(it->second);
    if (!text) return bad(file_var, "cannot read file " + it->second);
    env[name] = trim(*text);
  }
  auto get = [&](const char* k) -> std::optional<std::string> {
    auto it = env.find(k);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };

  Config c;
  if (auto v = get("TOLLGATE_ENV")) {
    if (*v == "development" || v->empty())
      c.env = Environment::development;
    else if (*v == "test")
      c.env = Environment::test;
    else if (*v == "production")
      c.env = Environment::production;
    else
      return bad("TOLLGATE_ENV", "must be development, test or production (got '" + *v + "')");
  }
  const bool prod = c.env == Environment::production;
  c.host = get("HOST").value_or(prod ? "0.0.0.0" : "127.0.0.1");
  if (!net::parse_ip(c.host) && c.host != "localhost") return bad("HOST", "must be an IP address");
  if (auto v = get("PORT")) {
    int p = 0;
    if (!parse_int(*v, p) || p < 0 || p > 65535) return bad("PORT", "must be a port number 0-65535");
    c.port = static_cast<std::uint16_t>(p);
  }
  c.threads = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  if (auto v = get("THREADS")) {
    if (!parse_int(*v, c.threads) || c.threads < 1 || c.threads > 256) return bad("THREADS", "must be 1-256");
  }
  c.database_url = get("DATABASE_URL").value_or("");
  c.database_read_url = get("DATABASE_READ_URL").value_or("");
  c.database_listen_url = get("DATABASE_LISTEN_URL").value_or(c.database_url);
  if (auto v = get("DB_TRANSACTION_POOLING")) {
    if (!parse_bool(*v, c.db_transaction_pooling)) return bad("DB_TRANSACTION_POOLING", "must be true or false");
    if (c.db_transaction_pooling && !get("DATABASE_LISTEN_URL"))
      return bad("DATABASE_LISTEN_URL",
                 "is required with DB_TRANSACTION_POOLING: LISTEN (key cache invalidation) needs a direct "
                 "connection to PostgreSQL, not one through the pooler");
  }
  c.redis_url = get("REDIS_URL").value_or("");
  if (!c.redis_url.empty() && c.redis_url.rfind("redis://", 0) != 0)
    return bad("REDIS_URL", "must start with redis://");
  c.auto_migrate = !prod;
  if (auto v = get("AUTO_MIGRATE")) {
    if (!parse_bool(*v, c.auto_migrate)) return bad("AUTO_MIGRATE", "must be true or false");
  }
  auto dur = [&](const char* k, std::chrono::milliseconds& out, std::chrono::milliseconds min) -> std::optional<Error> {
    if (auto v = get(k)) {
      auto d = parse_duration(*v);
      if (!d || *d < min) return bad(k, "must be a duration like 500ms, 30s, 15m, 2h or 7d");
      out = *d;
    }
    return std::nullopt;
  };
  using std::chrono::milliseconds;
  for (auto [k, out] : {std::pair<const char*, milliseconds*>{"DB_CONNECT_TIMEOUT", &c.db_connect_timeout},
                        {"DB_STATEMENT_TIMEOUT", &c.db_statement_timeout},
                        {"REDIS_TIMEOUT", &c.redis_timeout},
                        {"READ_TIMEOUT", &c.read_timeout},
                        {"IDLE_TIMEOUT", &c.idle_timeout},
                        {"SHUTDOWN_GRACE", &c.shutdown_grace},
                        {"RATE_LIMIT_IP_WINDOW", &c.ip_limit.window},
                        {"RATE_LIMIT_USER_WINDOW", &c.user_limit.window},
                        {"KEY_RATE_WINDOW", &c.key_rate_window}}) {
    if (auto e = dur(k, *out, milliseconds(1))) return *e;
  }
  // Seed names: JWT_EXPIRY=15m, JWT_REFRESH_EXPIRY=7d.
  if (auto e = dur("JWT_EXPIRY", c.jwt_expiry, std::chrono::seconds(30))) return *e;
  if (auto e = dur("JWT_REFRESH_EXPIRY", c.jwt_refresh_expiry, std::chrono::minutes(5))) return *e;
  if (auto e = dur("RESPONSE_CACHE_TTL", c.response_cache_ttl, milliseconds(0))) return *e;
  if (c.response_cache_ttl.count() % 1000 != 0 || c.response_cache_ttl > std::chrono::hours(24))
    return bad("RESPONSE_CACHE_TTL", "must be whole seconds, at most 24h");
  if (auto v = get("USAGE_RETENTION_DAYS")) {
    if (!parse_int(*v, c.usage_retention_days) || c.usage_retention_days < 31 || c.usage_retention_days > 3650)
      return bad("USAGE_RETENTION_DAYS", "must be 31-3650");
  }
  if (auto v = get("DB_POOL_SIZE")) {
    if (!parse_int(*v, c.db_pool_size) || c.db_pool_size < 1 || c.db_pool_size > 500)
      return bad("DB_POOL_SIZE", "must be 1-500");
  }
  if (auto v = get("BODY_LIMIT")) {
    if (!parse_int(*v, c.body_limit) || c.body_limit < 1024 || c.body_limit > (1u << 30))
      return bad("BODY_LIMIT", "must be bytes, 1024 to 1073741824");
  }
  if (auto v = get("GATEWAY_BODY_LIMIT")) {
    if (!parse_int(*v, c.gateway_body_limit) || c.gateway_body_limit < 1024 ||
        c.gateway_body_limit > (std::uint64_t{1} << 40))
      return bad("GATEWAY_BODY_LIMIT", "must be bytes, 1024 to 1099511627776");
  }
  for (auto [k, out] : {std::pair<const char*, std::int64_t*>{"RATE_LIMIT_IP_MAX", &c.ip_limit.max},
                        {"RATE_LIMIT_USER_MAX", &c.user_limit.max}}) {
    if (auto v = get(k)) {
      if (!parse_int(*v, *out) || *out < 1) return bad(k, "must be a positive integer");
    }
  }
  if (auto v = get("CORS_ORIGINS")) {
    for (auto& o : split_list(*v)) {
      if (o == "*" || o == "null") return bad("CORS_ORIGINS", "list exact origins; '*' and 'null' are not allowed");
      if (o.rfind("http://", 0) != 0 && o.rfind("https://", 0) != 0)
        return bad("CORS_ORIGINS", "'" + o + "' is not an http(s) origin");
      while (!o.empty() && o.back() == '/') o.pop_back();
      c.cors_origins.push_back(o);
    }
  }
  if (auto v = get("TRUSTED_PROXIES")) {
    for (auto& p : split_list(*v)) {
      auto cidr = net::parse_cidr(p);
      if (!cidr) return bad("TRUSTED_PROXIES", "'" + p + "' is not an IP or CIDR");
      c.trusted_proxies.push_back(*cidr);
    }
  }
  if (auto v = get("ADMIN_IP_ALLOWLIST")) {
    for (auto& p : split_list(*v)) {
      auto cidr = net::parse_cidr(p);
      if (!cidr) return bad("ADMIN_IP_ALLOWLIST", "'" + p + "' is not an IP or CIDR");
      c.admin_ip_allowlist.push_back(*cidr);
    }
  }
  if (auto v = get("TRUST_PROXY_TLS")) {
    if (!parse_bool(*v, c.trust_proxy_tls)) return bad("TRUST_PROXY_TLS", "must be true or false");
  }
  if (auto v = get("TOLLGATE_TEST_HOOKS")) {
    if (!parse_bool(*v, c.test_hooks)) return bad("TOLLGATE_TEST_HOOKS", "must be true or false");
    if (prod && c.test_hooks) return bad("TOLLGATE_TEST_HOOKS", "is not allowed in production");
  }
  if (auto v = get("ACCESS_LOG_PROBES")) {
    if (!parse_bool(*v, c.access_log_probes)) return bad("ACCESS_LOG_PROBES", "must be true or false");
  }
  c.var_dir = get("VAR_DIR").value_or("var");
  c.log_dir = get("LOG_DIR").value_or(c.var_dir + "/log");
  c.backup_dir = get("BACKUP_DIR").value_or(c.var_dir + "/backups");
  if (auto v = get("BACKUP_RETENTION_DAYS")) {
    if (!parse_int(*v, c.backup_retention_days) || c.backup_retention_days < 1 || c.backup_retention_days > 36500)
      return bad("BACKUP_RETENTION_DAYS", "must be 1-36500");
  }
  c.web_dir = get("WEB_DIR").value_or("web/dist");
  c.log_level = get("LOG_LEVEL").value_or("info");
  if (c.log_level != "debug" && c.log_level != "info" && c.log_level != "warn" && c.log_level != "error") {
    return bad("LOG_LEVEL", "must be debug, info, warn or error");
  }
  c.jwt_secret = get("JWT_SECRET").value_or("");
  if (c.jwt_secret.empty())
    return bad("JWT_SECRET", "is required (development mode generates one in VAR_DIR/secrets.env)");
  if (prod) {
    static const char* weak[] = {"your-secret-key", "secret", "changeme", "change-me", "password", "jwt-secret"};
    for (auto* w : weak) {
      if (c.jwt_secret == w) return bad("JWT_SECRET", "is a well-known placeholder; use at least 32 random bytes");
    }
    if (c.jwt_secret.size() < 32) return bad("JWT_SECRET", "must be at least 32 characters in production");
  }
  c.stripe_secret_key = get("STRIPE_SECRET_KEY").value_or("");
  c.stripe_webhook_secret = get("STRIPE_WEBHOOK_SECRET").value_or("");
  if (auto v = get("PAYMENT_GRACE_DAYS")) {
    if (!parse_int(*v, c.payment_grace_days) || c.payment_grace_days < 0 || c.payment_grace_days > 60)
      return bad("PAYMENT_GRACE_DAYS", "must be 0-60");
  }
  if (auto v = get("BILLING_JOB_INTERVAL_SECONDS")) {
    int secs = 0;
    if (!parse_int(*v, secs) || secs < 1 || secs > 3600) return bad("BILLING_JOB_INTERVAL_SECONDS", "must be 1-3600");
    c.billing_job_interval = std::chrono::seconds(secs);
  }
  if (auto v = get("STRIPE_SYNC_PLANS_ON_START")) {
    if (*v == "true" || *v == "1")
      c.stripe_sync_plans_on_start = true;
    else if (*v == "false" || *v == "0")
      c.stripe_sync_plans_on_start = false;
    else
      return bad("STRIPE_SYNC_PLANS_ON_START", "must be true or false");
  }
  if (auto v = get("STRIPE_API_BASE")) {
    if (v->rfind("https://", 0) != 0 && v->rfind("http://", 0) != 0)
      return bad("STRIPE_API_BASE", "must be an http(s) URL");
    c.stripe_api_base = *v;
    while (!c.stripe_api_base.empty() && c.stripe_api_base.back() == '/') c.stripe_api_base.pop_back();
  }
  // Several secrets, comma-separated, while one is rotated: a delivery signed with any of them is accepted.
  for (std::size_t start = 0; start <= c.stripe_webhook_secret.size();) {
    auto comma = c.stripe_webhook_secret.find(',', start);
    if (comma == std::string::npos) comma = c.stripe_webhook_secret.size();
    std::string one = c.stripe_webhook_secret.substr(start, comma - start);
    while (!one.empty() && one.back() == ' ') one.pop_back();
    while (!one.empty() && one.front() == ' ') one.erase(0, 1);
    if (!one.empty()) c.stripe_webhook_secrets.push_back(std::move(one));
    start = comma + 1;
  }
  if (prod && !c.stripe_secret_key.empty() && c.stripe_webhook_secret.empty()) {
    return bad("STRIPE_WEBHOOK_SECRET", "is required when STRIPE_SECRET_KEY is set in production");
  }
  c.sendgrid_api_key = get("SENDGRID_API_KEY").value_or("");
  c.admin_email = get("ADMIN_EMAIL").value_or("");
  c.admin_password = get("ADMIN_PASSWORD").value_or("");
  c.public_url = get("PUBLIC_URL").value_or("");
  if (c.public_url.empty()) c.public_url = "http://localhost:" + std::to_string(c.port);
  while (!c.public_url.empty() && c.public_url.back() == '/') c.public_url.pop_back();
  if (c.public_url.rfind("http://", 0) != 0 && c.public_url.rfind("https://", 0) != 0) {
    return bad("PUBLIC_URL", "must start with http:// or https://");
  }
  c.smtp_url = get("SMTP_URL").value_or("");
  if (!c.smtp_url.empty() && c.smtp_url.rfind("smtp://", 0) != 0 && c.smtp_url.rfind("smtps://", 0) != 0) {
    return bad("SMTP_URL", "must start with smtp:// or smtps://");
  }
  c.mail_from = get("MAIL_FROM").value_or("Tollgate <no-reply@localhost>");
  if (c.mail_from.find('@') == std::string::npos || c.mail_from.find_first_of("\r\n") != std::string::npos) {
    return bad("MAIL_FROM", "must be an address, optionally with a display name: Name <addr@host>");
  }
  c.mail_transport = get("MAIL_TRANSPORT").value_or("");
  if (c.mail_transport.empty()) {
    c.mail_transport = !c.smtp_url.empty() ? "smtp" : !c.sendgrid_api_key.empty() ? "sendgrid" : "dev";
  }
  if (c.mail_transport != "smtp" && c.mail_transport != "sendgrid" && c.mail_transport != "dev") {
    return bad("MAIL_TRANSPORT", "must be smtp, sendgrid or dev");
  }
  if (c.mail_transport == "smtp" && c.smtp_url.empty()) return bad("SMTP_URL", "is required when MAIL_TRANSPORT=smtp");
  if (c.mail_transport == "sendgrid" && c.sendgrid_api_key.empty()) {
    return bad("SENDGRID_API_KEY", "is required when MAIL_TRANSPORT=sendgrid");
  }
  c.upstream_ca_file = get("UPSTREAM_CA_FILE").value_or("");
  c.sendgrid_url = get("SENDGRID_API_URL").value_or("https://api.sendgrid.com/v3/mail/send");
  c.encryption_key = get("ENCRYPTION_KEY").value_or("");
  if (!c.encryption_key.empty() && c.encryption_key.size() < 32) {
    return bad("ENCRYPTION_KEY", "must be at least 32 characters");
  }
  return c;
}

}  // namespace tg
