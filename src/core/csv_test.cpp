#include "core/csv.hpp"

#include <gtest/gtest.h>

namespace tg {
namespace {
TEST(CsvField, QuotesOnlyWhenAskedOrNeeded) {
  EXPECT_EQ(csv_field("plain", false), "plain");
  EXPECT_EQ(csv_field("plain", true), "\"plain\"");
  EXPECT_EQ(csv_field("a,b", false), "\"a,b\"");
  EXPECT_EQ(csv_field("say \"hi\"", false), "\"say \"\"hi\"\"\"");
  EXPECT_EQ(csv_field("line\nbreak", false), "\"line\nbreak\"");
  EXPECT_EQ(csv_field("", false), "");
  EXPECT_EQ(csv_field("", true), "\"\"");
}

TEST(CsvField, NeutralisesFormulaStarts) {
  for (const char* v : {"=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"}) {
    const std::string out = csv_field(v, false);
    const std::size_t first = out[0] == '"' ? 1 : 0;
    EXPECT_EQ(out[first], '\'') << v;
  }
  EXPECT_EQ(csv_field("=HYPERLINK(\"x\")", true), "\"'=HYPERLINK(\"\"x\"\")\"");
  EXPECT_EQ(csv_field("/v1/a=b", false), "/v1/a=b");  // only a leading character matters
}
}  // namespace
}  // namespace tg
