#include "http/client.hpp"

#include <gtest/gtest.h>

namespace tg::http {
namespace {

TEST(ParseUpstream, PlainAndTlsWithDefaultPorts) {
  auto a = parse_upstream("http://api.internal/v1/");
  ASSERT_TRUE(a);
  EXPECT_FALSE(a->tls);
  EXPECT_EQ(a->host, "api.internal");
  EXPECT_EQ(a->port, 80);
  EXPECT_EQ(a->base_path, "/v1");
  auto b = parse_upstream("https://api.example.com");
  ASSERT_TRUE(b);
  EXPECT_TRUE(b->tls);
  EXPECT_EQ(b->port, 443);
  EXPECT_EQ(b->base_path, "");
  auto c = parse_upstream("https://127.0.0.1:8443/base");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->port, 8443);
  EXPECT_EQ(c->base_path, "/base");
}

TEST(ParseUpstream, RefusesWhatIsNotAnUpstream) {
  for (const char* bad : {"ftp://x", "x.example", "https://", "http://:80", "http://h:0", "http://h:65536",
                          "http://h:80x", "https://user@h", "http://h t"}) {
    EXPECT_FALSE(parse_upstream(bad)) << bad;
  }
}

}  // namespace
}  // namespace tg::http
