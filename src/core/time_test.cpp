#include "core/time.hpp"

#include <gtest/gtest.h>

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
}  // namespace
}  // namespace tg
