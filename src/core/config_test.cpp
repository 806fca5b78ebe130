#include "core/config.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>

namespace tg {
namespace {

EnvMap base() {
  return {{"JWT_SECRET", "dev-secret"}, {"DATABASE_URL", "postgresql://localhost/x"}};
}

TEST(Config, DefaultsFollowTheSeed) {
  auto c = load_config(base());
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->port, 3001);
  EXPECT_EQ(c->env, Environment::development);
  EXPECT_EQ(c->host, "127.0.0.1");
  EXPECT_EQ(c->ip_limit.max, 100);
  EXPECT_EQ(c->ip_limit.window, std::chrono::minutes(15));
  EXPECT_EQ(c->user_limit.max, 1000);
  EXPECT_EQ(c->jwt_expiry, std::chrono::minutes(15));
  EXPECT_EQ(c->jwt_refresh_expiry, std::chrono::hours(24 * 7));
  EXPECT_EQ(c->body_limit, 1024u * 1024u);
  EXPECT_TRUE(c->auto_migrate);
}

TEST(Config, ErrorsNameTheVariable) {
  for (auto [k, v] : std::vector<std::pair<std::string, std::string>>{{"PORT", "70000"},
                                                                      {"PORT", "abc"},
                                                                      {"THREADS", "0"},
                                                                      {"TOLLGATE_ENV", "staging"},
                                                                      {"RATE_LIMIT_IP_WINDOW", "15 minutes"},
                                                                      {"RATE_LIMIT_IP_MAX", "-1"},
                                                                      {"CORS_ORIGINS", "*"},
                                                                      {"CORS_ORIGINS", "null"},
                                                                      {"CORS_ORIGINS", "example.com"},
                                                                      {"TRUSTED_PROXIES", "10.0.0.0/33"},
                                                                      {"REDIS_URL", "http://x"},
                                                                      {"LOG_LEVEL", "loud"},
                                                                      {"AUTO_MIGRATE", "maybe"}}) {
    auto env = base();
    env[k] = v;
    auto c = load_config(env);
    ASSERT_FALSE(c.ok()) << k << "=" << v;
    EXPECT_EQ(c.error().detail.rfind(k + ":", 0), 0u) << c.error().detail;
  }
}

TEST(Config, ProductionRefusesWeakSecrets) {
  auto env = base();
  env["TOLLGATE_ENV"] = "production";
  env["JWT_SECRET"] = "your-secret-key";
  EXPECT_FALSE(load_config(env).ok());
  env["JWT_SECRET"] = "short";
  EXPECT_FALSE(load_config(env).ok());
  env["JWT_SECRET"] = std::string(48, 'k');
  auto c = load_config(env);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->host, "0.0.0.0");
  EXPECT_FALSE(c->auto_migrate);
  env["TOLLGATE_TEST_HOOKS"] = "true";
  EXPECT_FALSE(load_config(env).ok());
}

TEST(Config, MissingSecretIsAnError) {
  EnvMap env{{"DATABASE_URL", "x"}};
  auto c = load_config(env);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().detail.rfind("JWT_SECRET:", 0), 0u);
}

TEST(Config, SecretFromFile) {
  auto path = ::testing::TempDir() + "/jwt_secret";
  std::ofstream(path) << "from-file-secret\n";
  EnvMap env{{"JWT_SECRET_FILE", path}};
  auto c = load_config(env);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->jwt_secret, "from-file-secret");
  env["JWT_SECRET"] = "both";
  EXPECT_FALSE(load_config(env).ok());
  EnvMap missing{{"JWT_SECRET_FILE", "/nonexistent/secret"}};
  auto m = load_config(missing);
  ASSERT_FALSE(m.ok());
  EXPECT_EQ(m.error().detail.rfind("JWT_SECRET_FILE:", 0), 0u);
}

TEST(Config, ListsAndDurations) {
  auto env = base();
  env["CORS_ORIGINS"] = "https://a.example, https://b.example/";
  env["TRUSTED_PROXIES"] = "10.0.0.0/8,::1";
  env["RATE_LIMIT_IP_WINDOW"] = "90s";
  env["JWT_EXPIRY"] = "5m";
  auto c = load_config(env);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->cors_origins, (std::vector<std::string>{"https://a.example", "https://b.example"}));
  EXPECT_EQ(c->trusted_proxies.size(), 2u);
  EXPECT_EQ(c->ip_limit.window, std::chrono::seconds(90));
  EXPECT_EQ(c->jwt_expiry, std::chrono::minutes(5));
}

TEST(Config, ParseDuration) {
  EXPECT_EQ(parse_duration("500ms"), std::chrono::milliseconds(500));
  EXPECT_EQ(parse_duration("30"), std::chrono::seconds(30));
  EXPECT_EQ(parse_duration("7d"), std::chrono::hours(168));
  EXPECT_FALSE(parse_duration("").has_value());
  // Counts that would overflow milliseconds are refused, not wrapped (found by fuzzing).
  EXPECT_FALSE(parse_duration("18446744073709552s").has_value());
  EXPECT_FALSE(parse_duration("213503982334602d").has_value());
  EXPECT_EQ(parse_duration("3650d"), std::chrono::hours(3650 * 24));
  EXPECT_FALSE(parse_duration("m5").has_value());
  EXPECT_FALSE(parse_duration("5y").has_value());
}

TEST(Config, EnvFileParsing) {
  auto m = parse_env_file("# comment\nexport A=1\nB = \"two words\"\n\nC='x=y'\nbad line\n");
  EXPECT_EQ(m["A"], "1");
  EXPECT_EQ(m["B"], "two words");
  EXPECT_EQ(m["C"], "x=y");
  EXPECT_EQ(m.count("bad line"), 0u);
}

TEST(Config, DevSecretsAreGeneratedOnceAndKept) {
  auto dir = ::testing::TempDir() + "/tg-var-" + std::to_string(::getpid());
  EnvMap env{{"VAR_DIR", dir}};
  ASSERT_TRUE(ensure_dev_secrets(env).ok());
  auto first = env["JWT_SECRET"];
  EXPECT_EQ(first.size(), 64u);
  EnvMap again{{"VAR_DIR", dir}};
  ASSERT_TRUE(ensure_dev_secrets(again).ok());
  EXPECT_EQ(again["JWT_SECRET"], first);
  EnvMap prod{{"VAR_DIR", dir}, {"TOLLGATE_ENV", "production"}};
  ASSERT_TRUE(ensure_dev_secrets(prod).ok());
  EXPECT_EQ(prod.count("JWT_SECRET"), 0u);
}

}  // namespace
}  // namespace tg
