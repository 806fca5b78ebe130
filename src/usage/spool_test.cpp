#include "usage/spool.hpp"

#include <gtest/gtest.h>

namespace tg::usage {
namespace {

UsageEvent sample() {
  UsageEvent e;
  e.occurred_us = 1'795'000'000'123'456;
  e.event_id = new_event_id(e.occurred_us);
  e.organization_id = "0b7e0c1e-6a44-4c55-9a43-2f0f0e3a1c11";
  e.api_key_id = "5f1d1a9c-9e0a-4bf2-8c77-1b5c3a2d4e66";
  e.source = "verify";
  e.method = "GET";
  e.endpoint = "/v1/things";
  e.status_code = 200;
  e.code = "VALID";
  e.cost = 3;
  e.latency_us = 120;
  e.request_bytes = 10;
  e.response_bytes = 20;
  e.client_ip = "203.0.113.7";
  e.user_agent = "curl/8";
  e.request_id = "req-1";
  return e;
}

std::string body(const std::string& line) {
  return line.substr(0, line.size() - 1);
}

TEST(SpoolLine, IsAValidCopyRow) {
  const auto line = spool_line(sample());
  ASSERT_EQ(line.back(), '\n');
  EXPECT_TRUE(valid_spool_line(body(line)));
  EXPECT_EQ(std::count(line.begin(), line.end(), '\t'), 16);
  EXPECT_NE(line.find("\t\\N\t"), std::string::npos);  // no catalog entry: NULL
}

TEST(SpoolLine, EventIdsAreTimeOrderedVersion7) {
  const auto a = new_event_id(1'000'000'000);
  const auto b = new_event_id(2'000'000'000);
  EXPECT_EQ(a.size(), 36u);
  EXPECT_EQ(a[14], '7');
  EXPECT_LT(a.substr(0, 13), b.substr(0, 13));
  EXPECT_NE(new_event_id(5), new_event_id(5));
}

TEST(SpoolLine, EscapesSeparatorsAndDropsNul) {
  auto e = sample();
  e.user_agent = std::string("a\tb\nc\\d\re", 9) + std::string(1, '\0') + "f";
  e.endpoint = "/x\ty";
  const auto line = spool_line(e);
  EXPECT_TRUE(valid_spool_line(body(line)));
  EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1);
  EXPECT_NE(line.find("a\\tb\\nc\\\\d\\ref"), std::string::npos);
  EXPECT_NE(line.find("/x\\ty"), std::string::npos);
}

TEST(SpoolLine, InvalidUtf8IsReadAsLatin1) {
  auto e = sample();
  e.user_agent = "caf\xe9";  // Latin-1 é, not UTF-8
  const auto line = spool_line(e);
  EXPECT_NE(line.find("caf\xc3\xa9"), std::string::npos);
  e.user_agent = "caf\xc3\xa9";  // already UTF-8: kept
  EXPECT_NE(spool_line(e).find("caf\xc3\xa9\t"), std::string::npos);
}

TEST(SpoolLine, RefusesDamagedLines) {
  const auto line = body(spool_line(sample()));
  EXPECT_FALSE(valid_spool_line(""));
  EXPECT_FALSE(valid_spool_line(line.substr(0, line.size() / 2)));           // torn
  EXPECT_FALSE(valid_spool_line(line.substr(0, 20) + line));                 // torn tail glued to the next line
  EXPECT_FALSE(valid_spool_line(line + "\t" + line));                        // two lines glued
  EXPECT_FALSE(valid_spool_line(std::string(line).replace(5, 1, 1, '\0')));  // zeroed bytes after a power cut
  EXPECT_FALSE(valid_spool_line(std::string(line).replace(0, 1, "z")));      // not a uuid
  auto bad_code = sample();
  bad_code.code = "NOPE";
  EXPECT_FALSE(valid_spool_line(body(spool_line(bad_code))));
  auto bad_ip = sample();
  bad_ip.client_ip = "not-an-ip";
  EXPECT_FALSE(valid_spool_line(body(spool_line(bad_ip))));
}

TEST(SpoolLine, ConvertsTheEarlierJsonFormat) {
  const std::string json =
      R"({"id":"0b7e0c1e-6a44-4c55-9a43-2f0f0e3a1c99","t":1795000000123456,"o":"0b7e0c1e-6a44-4c55-9a43-2f0f0e3a1c11",)"
      R"("k":"5f1d1a9c-9e0a-4bf2-8c77-1b5c3a2d4e66","s":"gateway","m":"POST","e":"/gw/echo/*","st":502,"c":"VALID",)"
      R"("cost":1,"lat":9,"rq":1,"rs":2,"ip":"","ua":"ua\u0009x","rid":"r","ep":"7a1d1a9c-9e0a-4bf2-8c77-1b5c3a2d4e66"})";
  const auto line = legacy_json_line(json);
  ASSERT_TRUE(line.has_value());
  EXPECT_TRUE(valid_spool_line(body(*line)));
  EXPECT_EQ(line->rfind("0b7e0c1e-6a44-4c55-9a43-2f0f0e3a1c99\t1795000000123456\t", 0), 0u);
  EXPECT_NE(line->find("\tgateway\tPOST\t/gw/echo/*\t502\tVALID\t1\t9\t1\t2\t\tua\\tx\tr\n"), std::string::npos);
  EXPECT_FALSE(legacy_json_line("{not json}").has_value());
  EXPECT_FALSE(legacy_json_line(R"({"id":"x"})").has_value());
}

}  // namespace
}  // namespace tg::usage
