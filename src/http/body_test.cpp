#include <gtest/gtest.h>

#include <string>

#include "http/body.hpp"

namespace tg::http {
namespace {

TEST(JsonDepth, CountsArraysAndObjectsAndSkipsStrings) {
  EXPECT_TRUE(json_depth_within(R"({"a":{"b":[1,2,{"c":3}]}})", 4));
  EXPECT_FALSE(json_depth_within(R"({"a":{"b":[1,2,{"c":3}]}})", 3));
  // Brackets and escaped quotes inside strings do not count.
  EXPECT_TRUE(json_depth_within(R"({"a":"[[[[{{{{\"]]]]"})", 1));
  EXPECT_TRUE(json_depth_within("", 1));
  const std::string deep = std::string(65, '[') + std::string(65, ']');
  EXPECT_FALSE(json_depth_within(deep, kMaxJsonDepth));
  const std::string ok = std::string(64, '[') + std::string(64, ']');
  EXPECT_TRUE(json_depth_within(ok, kMaxJsonDepth));
}

TEST(JsonDepth, DeepBodyIsRefusedBeforeParsing) {
  Request req;
  req.headers = {{"content-type", "application/json"}};
  req.body = "{\"a\":" + std::string(20000, '[') + std::string(20000, ']') + "}";
  auto r = json_object_body(req, {"a"});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ErrorCode::MalformedJson);
}

}  // namespace
}  // namespace tg::http
