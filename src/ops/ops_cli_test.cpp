#include <gtest/gtest.h>

#include <map>

#include "ops/ops_cli.hpp"

namespace tg::ops {
namespace {

TEST(BackupNames, RoundTripAndRejectForeignFiles) {
  const std::int64_t t = 1'795'000'000;  // 2026-11-18T...Z
  const std::string name = backup_file_name(t);
  EXPECT_EQ(name.rfind("tollgate-2026", 0), 0u) << name;
  std::int64_t back = 0;
  ASSERT_TRUE(parse_backup_file_name(name, back));
  EXPECT_EQ(back, t);
  for (const char* bad : {"tollgate-20261118T000000Z.dump.partial", "tollgate-2026111XT000000Z.dump", "notes.txt",
                          "tollgate-20261318T000000Z.dump", "tollgate-20261118T250000Z.dump", ""}) {
    EXPECT_FALSE(parse_backup_file_name(bad, back)) << bad;
  }
}

TEST(BackupPrune, DeletesOnlyOlderThanRetentionAndKeepsTheNewest) {
  const std::int64_t now = 100 * 86'400;
  std::vector<BackupFile> files{
      {"a", now - 1 * 86'400}, {"b", now - 29 * 86'400}, {"c", now - 31 * 86'400}, {"d", now - 90 * 86'400}};
  auto gone = backups_to_prune(files, now, 30);
  EXPECT_EQ(gone, (std::vector<std::string>{"c", "d"}));
  // A stale but only backup is never deleted.
  std::vector<BackupFile> only{{"old", now - 400 * 86'400}};
  EXPECT_TRUE(backups_to_prune(only, now, 30).empty());
  std::vector<BackupFile> stale{{"x", now - 300 * 86'400}, {"y", now - 200 * 86'400}};
  EXPECT_EQ(backups_to_prune(stale, now, 30), (std::vector<std::string>{"x"}));
}

TEST(BackupEnv, UrlBecomesLibpqEnvironment) {
  auto env = libpq_environment("postgresql://app:p%40ss@db.internal:6543/tollgate?sslmode=require");
  ASSERT_TRUE(env);
  std::map<std::string, std::string> m;
  for (const auto& e : *env) m[e.substr(0, e.find('='))] = e.substr(e.find('=') + 1);
  EXPECT_EQ(m["PGHOST"], "db.internal");
  EXPECT_EQ(m["PGPORT"], "6543");
  EXPECT_EQ(m["PGUSER"], "app");
  EXPECT_EQ(m["PGPASSWORD"], "p@ss");
  EXPECT_EQ(m["PGDATABASE"], "tollgate");
  EXPECT_EQ(m["PGSSLMODE"], "require");
}

TEST(BackupEnv, BadUrlIsAnErrorWithoutThePassword) {
  auto env = libpq_environment("postgresql://u:secretpw@h/db?nonsense=1");
  ASSERT_FALSE(env);
  EXPECT_EQ(env.error().detail.find("secretpw"), std::string::npos) << env.error().detail;
}

// A fake deployment: every path answers like a healthy Tollgate unless `broken` says otherwise.
struct FakeSite {
  std::map<std::string, long> status_override;
  bool hsts = false;
  bool drop_csp = false;
  bool down = false;
  std::vector<FetchRequest> seen;

  Result<FetchResponse> operator()(const FetchRequest& rq) {
    seen.push_back(rq);
    if (down) return Error::of(ErrorCode::ServiceUnavailable, "connection refused");
    const std::string path = rq.url.substr(rq.url.find('/', 8));
    FetchResponse r;
    r.status = 200;
    r.headers = {{"x-content-type-options", "nosniff"},
                 {"x-frame-options", "DENY"},
                 {"referrer-policy", "strict-origin-when-cross-origin"}};
    if (!drop_csp) r.headers.emplace_back("content-security-policy", "default-src 'self'; frame-ancestors 'none'");
    if (hsts) r.headers.emplace_back("strict-transport-security", "max-age=31536000");
    if (path == "/healthz" || path == "/readyz") {
      r.body = R"({"status":"ok"})";
    } else if (path == "/api/version") {
      r.body = R"({"version":"1.2.3"})";
    } else if (path == "/api/openapi.json") {
      r.body = R"({"openapi":"3.1.0","paths":{"/a":{},"/b":{}}})";
    } else if (path == "/") {
      r.headers.emplace_back("content-type", "text/html; charset=utf-8");
      r.body = R"(<html><body><div id="root"></div></body></html>)";
    } else if (path == "/v1/keys/verify") {
      r.body = R"({"valid":true,"code":"VALID"})";
    } else if (path == "/gw/echo") {
      r.body = "{}";
    } else {
      r.status = 404;
      r.headers.emplace_back("content-type", "application/problem+json");
      r.body = R"({"code":"NOT_FOUND"})";
    }
    if (auto it = status_override.find(path); it != status_override.end()) r.status = it->second;
    return r;
  }
};

std::vector<SmokeCheck> smoke(FakeSite& site, SmokeOptions o) {
  return run_smoke(o, [&site](const FetchRequest& rq) { return site(rq); });
}

bool all_ok(const std::vector<SmokeCheck>& checks) {
  for (const auto& c : checks)
    if (!c.ok) return false;
  return true;
}

TEST(Smoke, HealthyInstancePassesEveryCheck) {
  FakeSite site;
  auto checks = smoke(site, {"http://tg.local", "", "", std::chrono::seconds(5)});
  EXPECT_EQ(checks.size(), 7u);
  EXPECT_TRUE(all_ok(checks)) << format_smoke_table(checks);
  EXPECT_NE(format_smoke_table(checks).find("7 passed, 0 failed"), std::string::npos);
}

TEST(Smoke, NotReadyFailsAndSaysWhy) {
  FakeSite site;
  site.status_override["/readyz"] = 503;
  auto checks = smoke(site, {"http://tg.local", "", "", std::chrono::seconds(5)});
  EXPECT_FALSE(all_ok(checks));
  EXPECT_FALSE(checks[1].ok);
  EXPECT_NE(checks[1].detail.find("503"), std::string::npos);
}

TEST(Smoke, HttpsDemandsHstsAndCspIsChecked) {
  FakeSite site;
  auto https = smoke(site, {"https://tg.example", "", "", std::chrono::seconds(5)});
  EXPECT_FALSE(https[5].ok);
  EXPECT_NE(https[5].detail.find("Strict-Transport-Security"), std::string::npos);
  site.hsts = true;
  EXPECT_TRUE(all_ok(smoke(site, {"https://tg.example", "", "", std::chrono::seconds(5)})));
  site.drop_csp = true;
  auto no_csp = smoke(site, {"https://tg.example", "", "", std::chrono::seconds(5)});
  EXPECT_FALSE(no_csp[5].ok);
}

TEST(Smoke, UnreachableInstanceFailsEveryCheckWithTheTransportError) {
  FakeSite site;
  site.down = true;
  auto checks = smoke(site, {"http://tg.local", "", "", std::chrono::seconds(5)});
  for (const auto& c : checks) {
    EXPECT_FALSE(c.ok) << c.name;
    EXPECT_NE(c.detail.find("connection refused"), std::string::npos) << c.name;
  }
}

TEST(Smoke, KeyWithTokenVerifiesAtCostZeroAndKeyAloneCallsTheGateway) {
  FakeSite site;
  auto checks = smoke(site, {"http://tg.local", "tg_test_abc", "tg_svc_xyz", std::chrono::seconds(5)});
  ASSERT_EQ(checks.size(), 8u);
  EXPECT_TRUE(checks.back().ok);
  EXPECT_EQ(checks.back().detail, "VALID");
  const auto& verify = site.seen.back();
  EXPECT_EQ(verify.method, "POST");
  EXPECT_NE(verify.body.find("\"cost\":0"), std::string::npos);
  EXPECT_EQ(verify.headers[0], "Authorization: Bearer tg_svc_xyz");
  // The table never shows the key or the token.
  EXPECT_EQ(format_smoke_table(checks).find("tg_test_abc"), std::string::npos);

  site.seen.clear();
  site.status_override["/gw/echo"] = 401;
  auto gw = smoke(site, {"http://tg.local", "tg_test_abc", "", std::chrono::seconds(5)});
  EXPECT_FALSE(gw.back().ok);
  EXPECT_EQ(site.seen.back().headers[0], "X-API-Key: tg_test_abc");
}

}  // namespace
}  // namespace tg::ops
