// Configuration (src/core/config.cpp, src/core/net.cpp): parse_env_file, load_config, parse_duration and the
// IP / CIDR parsers behind TRUSTED_PROXIES and ADMIN_IP_ALLOWLIST.
//
// The first byte picks a mode:
//   0 a .env file: parse_env_file, then load_config on the result (+ a JWT_SECRET unless the file sets one).
//   1 an environment built from the input: variables drawn from the names load_config reads (generated from
//     config.cpp at configure time), values from the input; sometimes a NAME_FILE pointing at a file holding
//     fuzzed bytes.
//   2 one value: parse_duration, net::parse_ip, net::parse_cidr and net::contains.
// An accepted configuration must be within the documented ranges (docs/configuration.md).
// *_FILE variables other than the harness's own temporary file are dropped: load_config reads whatever file they
// name (the operator's own environment, not untrusted input) and /dev/zero would only hang the fuzzer.
#include <fuzzer/FuzzedDataProvider.h>
#include <unistd.h>

#include <fstream>

#include "core/config.hpp"
#include "core/net.hpp"
#include "fuzz_common.hpp"

namespace {
using namespace tg;

constexpr const char* kVars[] = {
#include "config_vars.inc"
};

std::string g_secret_file;

void check_config(const Config& c) {
  FUZZ_CHECK(c.threads >= 1 && c.threads <= 256, "threads %d", c.threads);
  FUZZ_CHECK(c.db_pool_size >= 1 && c.db_pool_size <= 500, "db_pool_size %d", c.db_pool_size);
  for (auto d : {c.db_connect_timeout, c.db_statement_timeout, c.redis_timeout, c.read_timeout, c.idle_timeout,
                 c.shutdown_grace, c.ip_limit.window, c.user_limit.window, c.key_rate_window})
    FUZZ_CHECK(d.count() >= 1, "a duration below 1 ms was accepted: %lld", static_cast<long long>(d.count()));
  FUZZ_CHECK(c.jwt_expiry >= std::chrono::seconds(30), "JWT_EXPIRY below 30 s");
  FUZZ_CHECK(c.jwt_refresh_expiry >= std::chrono::minutes(5), "JWT_REFRESH_EXPIRY below 5 min");
  FUZZ_CHECK(c.body_limit >= 1024 && c.body_limit <= (1u << 30), "body_limit %zu", c.body_limit);
  FUZZ_CHECK(c.gateway_body_limit >= 1024 && c.gateway_body_limit <= (std::uint64_t{1} << 40), "gateway_body_limit");
  FUZZ_CHECK(c.ip_limit.max >= 1 && c.user_limit.max >= 1, "rate limit max below 1");
  FUZZ_CHECK(c.usage_retention_days >= 31 && c.usage_retention_days <= 3650, "usage_retention_days");
  FUZZ_CHECK(c.payment_grace_days >= 0 && c.payment_grace_days <= 60, "payment_grace_days");
  FUZZ_CHECK(c.billing_job_interval.count() >= 1 && c.billing_job_interval.count() <= 3600, "billing interval");
  FUZZ_CHECK(!c.jwt_secret.empty(), "empty JWT secret accepted");
  if (c.env == Environment::production) FUZZ_CHECK(c.jwt_secret.size() >= 32, "short production JWT secret");
  if (c.env == Environment::production) FUZZ_CHECK(!c.test_hooks, "test hooks in production");
  for (const auto& o : c.cors_origins) {
    // "http://" itself is stored as "http:" (trailing slashes are cut): useless, harmless; not checked further.
    FUZZ_CHECK(o.rfind("http:", 0) == 0 || o.rfind("https:", 0) == 0, "CORS origin '%s'", o.c_str());
    FUZZ_CHECK(o != "*" && o != "null" && o.back() != '/', "CORS origin '%s'", o.c_str());
  }
  for (const auto* list : {&c.trusted_proxies, &c.admin_ip_allowlist})
    for (const auto& cidr : *list) {
      FUZZ_CHECK(cidr.prefix >= 0 && cidr.prefix <= 128, "prefix %d", cidr.prefix);
      FUZZ_CHECK(net::contains(cidr, cidr.base), "a CIDR that does not contain its own base address");
    }
  for (const auto& s : c.stripe_webhook_secrets)
    FUZZ_CHECK(!s.empty() && s.front() != ' ' && s.back() != ' ' && s.find(',') == std::string::npos,
               "webhook secret '%s'", s.c_str());
  FUZZ_CHECK(c.public_url.rfind("http://", 0) == 0 || c.public_url.rfind("https://", 0) == 0, "public_url");
  FUZZ_CHECK(c.public_url.back() != '/', "public_url with a trailing slash");
  FUZZ_CHECK(c.stripe_api_base.empty() || c.stripe_api_base.back() != '/', "stripe_api_base with a trailing slash");
  FUZZ_CHECK(c.mail_transport == "smtp" || c.mail_transport == "sendgrid" || c.mail_transport == "dev", "transport");
  FUZZ_CHECK(c.mail_from.find_first_of("\r\n") == std::string::npos, "MAIL_FROM with CR/LF");
  FUZZ_CHECK(c.log_level == "debug" || c.log_level == "info" || c.log_level == "warn" || c.log_level == "error",
             "log level");
  FUZZ_CHECK(c.encryption_key.empty() || c.encryption_key.size() >= 32, "short ENCRYPTION_KEY");
}

void load(EnvMap env) {
  for (auto it = env.begin(); it != env.end();) {
    const bool file_var = it->first.size() > 5 && it->first.compare(it->first.size() - 5, 5, "_FILE") == 0;
    if (file_var && it->second != g_secret_file)
      it = env.erase(it);
    else
      ++it;
  }
  auto r = load_config(env);
  if (r) check_config(r.value());
}

void check_cidr(std::string_view text) {
  if (auto ip = net::parse_ip(text)) {
    FUZZ_CHECK(text.size() <= 45, "parse_ip accepted %zu characters", text.size());
    FUZZ_CHECK(net::contains(net::Cidr{*ip, 128}, *ip), "/128 does not contain its address");
    FUZZ_CHECK(net::contains(net::Cidr{*ip, 0}, *ip), "/0 does not contain an address");
  }
  if (auto cidr = net::parse_cidr(text)) {
    FUZZ_CHECK(cidr->prefix >= 0 && cidr->prefix <= 128, "prefix %d", cidr->prefix);
    FUZZ_CHECK(net::contains(*cidr, cidr->base), "CIDR does not contain its base");
    const auto slash = text.find('/');
    FUZZ_CHECK(net::parse_ip(text.substr(0, slash)).has_value(), "CIDR accepted without an IP");
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  char path[] = "/tmp/tollgate-fuzz-secret-XXXXXX";
  const int fd = ::mkstemp(path);
  if (fd >= 0) {
    ::close(fd);
    g_secret_file = path;
    std::atexit([] { ::unlink(g_secret_file.c_str()); });
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t mode = data[0] % 3;
  const std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (mode) {
    case 0: {
      EnvMap env = parse_env_file(text);
      for (const auto& [k, v] : env) {
        FUZZ_CHECK(!k.empty(), "empty key");
        FUZZ_CHECK(k.find('=') == std::string::npos && k.find('\n') == std::string::npos, "key '%s'", k.c_str());
        FUZZ_CHECK(k.front() != ' ' && k.back() != ' ' && k.front() != '\t' && k.back() != '\t', "untrimmed key");
        FUZZ_CHECK(v.find('\n') == std::string::npos, "value spans lines");
      }
      if (!env.count("JWT_SECRET")) env["JWT_SECRET"] = "fuzz-secret-fuzz-secret-fuzz-secret!";
      load(std::move(env));
      break;
    }
    case 1: {
      FuzzedDataProvider fdp(data + 1, size - 1);
      EnvMap env;
      if (fdp.ConsumeBool()) env["JWT_SECRET"] = "fuzz-secret-fuzz-secret-fuzz-secret!";
      constexpr std::size_t kCount = sizeof kVars / sizeof kVars[0];
      for (int n = fdp.ConsumeIntegralInRange(0, 12); n > 0 && fdp.remaining_bytes() > 0; --n) {
        const std::string name = kVars[fdp.ConsumeIntegralInRange<std::size_t>(0, kCount - 1)];
        env[name] = fdp.ConsumeRandomLengthString(96);
      }
      if (!g_secret_file.empty() && fdp.ConsumeBool()) {
        const std::string name = kVars[fdp.ConsumeIntegralInRange<std::size_t>(0, kCount - 1)];
        std::ofstream(g_secret_file, std::ios::binary | std::ios::trunc) << fdp.ConsumeRandomLengthString(96);
        env.erase(name);
        env[name + "_FILE"] = g_secret_file;
      }
      load(std::move(env));
      break;
    }
    case 2: {
      if (auto d = parse_duration(text)) {
        FUZZ_CHECK(d->count() >= 0, "negative duration %lld from '%s'", static_cast<long long>(d->count()),
                   text.c_str());
      }
      check_cidr(text);
      break;
    }
  }
  return 0;
}
