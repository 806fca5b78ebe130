#include "core/time.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <ctime>

namespace tg {
namespace {
TEST(Rfc3339, ParsesAndFormats) {
  EXPECT_EQ(parse_rfc3339_ms("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(parse_rfc3339_ms("2026-11-26T15:04:05.123Z"), 1795705445123);
  EXPECT_EQ(parse_rfc3339_ms("2026-11-26T16:04:05.123+01:00"), 1795705445123);
  EXPECT_EQ(parse_rfc3339_ms("2024-02-29T00:00:00Z").has_value(), true);
  EXPECT_FALSE(parse_rfc3339_ms("2023-02-29T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339_ms("2026-13-01T00:00:00Z"));
  EXPECT_FALSE(parse_rfc3339_ms("2026-11-26"));
  EXPECT_FALSE(parse_rfc3339_ms("2026-11-26T15:04:05"));
  EXPECT_FALSE(parse_rfc3339_ms("2026-11-26T15:04:05Zjunk"));
  EXPECT_FALSE(parse_rfc3339_ms(""));
  EXPECT_EQ(format_rfc3339_ms(1795705445123), "2026-11-26T15:04:05.123Z");
  EXPECT_EQ(http_date(0), "Thu, 01 Jan 1970 00:00:00 GMT");
}

// The hand-written formatter against gmtime_r over edges (epoch, before it, leap days, century years) and a sweep.
TEST(Rfc3339, FormatMatchesGmtime) {
  const auto reference = [](std::int64_t ms) {
    const std::time_t t = static_cast<std::time_t>(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(((ms % 1000) + 1000) % 1000));
    return std::string(buf);
  };
  for (std::int64_t ms : {0LL, -1LL, -1000LL, -86400000LL, 951782400000LL, 951868799999LL, 4107542400000LL,
                          253402300799999LL, 1709164800000LL}) {
    EXPECT_EQ(format_rfc3339_ms(ms), reference(ms)) << ms;
  }
  for (std::int64_t ms = -2208988800000LL; ms < 4102444800000LL; ms += 7777777777LL + 123) {
    ASSERT_EQ(format_rfc3339_ms(ms), reference(ms)) << ms;
  }
  EXPECT_EQ(parse_rfc3339_ms(format_rfc3339_ms(1795705445123)), 1795705445123);
}
}  // namespace
}  // namespace tg
