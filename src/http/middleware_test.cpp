#include "http/middleware.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

namespace tg::http {
namespace {

Request with(std::initializer_list<std::pair<std::string, std::string>> headers) {
  Request r;
  r.method = "GET";
  r.peer_ip = "10.0.0.5";
  for (auto& h : headers) r.headers.push_back(h);
  return r;
}

TEST(RequestId, AcceptsSaneAndReplacesInsane) {
  EXPECT_EQ(request_id_for(with({{"x-request-id", "abc-123:x.y_z"}})), "abc-123:x.y_z");
  EXPECT_NE(request_id_for(with({{"x-request-id", "has space"}})), "has space");
  EXPECT_EQ(request_id_for(with({{"x-request-id", std::string(129, 'a')}})).size(), 32u);
  EXPECT_EQ(request_id_for(with({})).size(), 32u);
  EXPECT_NE(generate_id(), generate_id());
}

TEST(ClientIp, ForwardedForOnlyFromTrustedProxies) {
  std::vector<net::Cidr> trusted{*net::parse_cidr("10.0.0.0/8")};
  auto r = with({{"x-forwarded-for", "203.0.113.9, 10.1.1.1"}});
  EXPECT_EQ(client_ip_for(r, {}), "10.0.0.5");
  EXPECT_EQ(client_ip_for(r, trusted), "203.0.113.9");
  auto spoof = with({{"x-forwarded-for", "1.2.3.4"}});
  spoof.peer_ip = "198.51.100.7";  // not a proxy we trust
  EXPECT_EQ(client_ip_for(spoof, trusted), "198.51.100.7");
  auto garbage = with({{"x-forwarded-for", "not-an-ip"}});
  EXPECT_EQ(client_ip_for(garbage, trusted), "10.0.0.5");
}

TEST(Cidr, ContainsV4AndV6) {
  auto c = *net::parse_cidr("192.168.0.0/16");
  EXPECT_TRUE(net::contains(c, *net::parse_ip("192.168.3.4")));
  EXPECT_FALSE(net::contains(c, *net::parse_ip("192.169.0.1")));
  auto v6 = *net::parse_cidr("2001:db8::/32");
  EXPECT_TRUE(net::contains(v6, *net::parse_ip("2001:db8::1")));
  EXPECT_FALSE(net::contains(v6, *net::parse_ip("2001:db9::1")));
  EXPECT_FALSE(net::parse_cidr("1.2.3.4/40").has_value());
}

Config cors_config() {
  Config c;
  c.cors_origins = {"https://app.example.com"};
  return c;
}

TEST(Cors, AllowedPreflight) {
  auto r = with({{"origin", "https://app.example.com"}, {"access-control-request-method", "POST"}});
  r.method = "OPTIONS";
  auto out = cors_check(r, cors_config());
  ASSERT_FALSE(out.denied);
  ASSERT_TRUE(out.preflight);
  EXPECT_EQ(out.preflight->status, 204);
  Response res = *out.preflight;
  cors_headers(r, res, out.allowed_cross_origin);
  EXPECT_EQ(*res.header("access-control-allow-origin"), "https://app.example.com");
  EXPECT_EQ(*res.header("access-control-allow-credentials"), "true");
}

TEST(Cors, DeniesUnlistedAndNullOrigins) {
  EXPECT_TRUE(cors_check(with({{"origin", "https://evil.example"}}), cors_config()).denied);
  EXPECT_TRUE(cors_check(with({{"origin", "null"}}), cors_config()).denied);
  EXPECT_FALSE(cors_check(with({}), cors_config()).denied);
}

TEST(Cors, SameOriginPasses) {
  auto r = with({{"origin", "http://localhost:3001"}, {"host", "localhost:3001"}});
  auto out = cors_check(r, cors_config());
  EXPECT_FALSE(out.denied);
  EXPECT_FALSE(out.allowed_cross_origin);
}

TEST(SecurityHeaders, HelmetEquivalents) {
  Config c;
  Response r;
  security_headers(c, r);
  EXPECT_NE(r.header("content-security-policy")->find("frame-ancestors 'none'"), std::string::npos);
  EXPECT_EQ(*r.header("x-content-type-options"), "nosniff");
  EXPECT_EQ(r.header("strict-transport-security"), nullptr);
  c.trust_proxy_tls = true;
  security_headers(c, r);
  EXPECT_NE(r.header("strict-transport-security"), nullptr);
}

TEST(RateLimitHeaders, DraftFieldsAndLegacyOnes) {
  ratelimit::Decision d;
  d.allowed = false;
  d.limit = 100;
  d.remaining = 0;
  d.reset_ms = 61'500;
  d.retry_after_ms = 1'200;
  Response r;
  rate_limit_headers(d, "ip", 900, 1'000, r);
  EXPECT_EQ(*r.header("ratelimit-policy"), "\"ip\";q=100;w=900");
  EXPECT_EQ(*r.header("ratelimit"), "\"ip\";r=0;t=62");
  EXPECT_EQ(*r.header("x-ratelimit-reset"), "1062");
  EXPECT_EQ(*r.header("retry-after"), "2");
}

std::string gunzip(const std::string& in) {
  z_stream zs{};
  inflateInit2(&zs, 15 + 16);
  std::string out(1 << 20, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  inflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  return out;
}

TEST(Gzip, CompressesLargeCompressibleBodiesWhenAccepted) {
  Response res = Response::json(200, nlohmann::json{{"data", std::string(4000, 'a')}});
  auto original = res.body;
  auto req = with({{"accept-encoding", "br, gzip"}});
  maybe_gzip(req, res);
  EXPECT_EQ(*res.header("content-encoding"), "gzip");
  EXPECT_EQ(gunzip(res.body), original);
  EXPECT_LT(res.body.size(), original.size());

  Response small = Response::json(200, {{"ok", true}});
  maybe_gzip(req, small);
  EXPECT_EQ(small.header("content-encoding"), nullptr);

  Response refused = Response::json(200, nlohmann::json{{"data", std::string(4000, 'a')}});
  maybe_gzip(with({{"accept-encoding", "gzip;q=0"}}), refused);
  EXPECT_EQ(refused.header("content-encoding"), nullptr);
}

}  // namespace
}  // namespace tg::http
