#include "http/problem.hpp"

#include <gtest/gtest.h>

#include "http/body.hpp"

namespace tg::http {
namespace {

TEST(Problem, RendersRfc9457WithCodeAndRequestId) {
  Error e = Error::of(ErrorCode::ValidationFailed, "Bad fields.");
  e.fields.push_back({"email", "is required"});
  auto r = problem(e, "req-1");
  EXPECT_EQ(r.status, 422);
  EXPECT_EQ(*r.header("content-type"), "application/problem+json");
  auto j = nlohmann::json::parse(r.body);
  EXPECT_EQ(j["type"], "/docs/problems#VALIDATION_FAILED");
  EXPECT_EQ(j["title"], "Validation failed");
  EXPECT_EQ(j["status"], 422);
  EXPECT_EQ(j["code"], "VALIDATION_FAILED");
  EXPECT_EQ(j["requestId"], "req-1");
  EXPECT_EQ(j["detail"], "Bad fields.");
  EXPECT_EQ(j["errors"][0]["field"], "email");
}

TEST(Problem, InternalErrorsLeakNothing) {
  Error e = Error::of(ErrorCode::Internal, "password=hunter2 at db.cpp:12");
  e.cause = "sqlstate=XX000 secret";
  auto r = problem(e, "id");
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body.find("hunter2"), std::string::npos);
  EXPECT_EQ(r.body.find("XX000"), std::string::npos);
}

TEST(Problem, EveryCodeHasAStatusAndStableName) {
  for (int c = 0; c <= static_cast<int>(ErrorCode::Timeout); ++c) {
    auto info = problem_info(static_cast<ErrorCode>(c));
    EXPECT_GE(info.status, 400);
    EXPECT_LT(info.status, 600);
    EXPECT_NE(std::string(info.code), "");
  }
  EXPECT_EQ(problem(Error::of(ErrorCode::ServiceUnavailable), "x").header("retry-after") != nullptr, true);
  auto allow = problem(Error::of(ErrorCode::MethodNotAllowed).with_header("Allow", "GET"), "x");
  EXPECT_EQ(*allow.header("allow"), "GET");
}

Request json_request(std::string body, std::string ct = "application/json") {
  Request r;
  r.headers.emplace_back("content-type", std::move(ct));
  r.body = std::move(body);
  return r;
}

TEST(JsonBody, MapsEachKindOfBadInput) {
  EXPECT_EQ(json_object_body(json_request("{}", "text/plain")).error().code, ErrorCode::UnsupportedMediaType);
  EXPECT_EQ(json_object_body(json_request("{", "application/json")).error().code, ErrorCode::MalformedJson);
  EXPECT_EQ(json_object_body(json_request("{\"a\":\"\xff\"}")).error().code, ErrorCode::InvalidUtf8);
  EXPECT_EQ(json_object_body(json_request("[1]")).error().code, ErrorCode::ValidationFailed);
  auto unknown = json_object_body(json_request("{\"a\":1,\"b\":2}"), {"a"});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().fields.at(0).field, "b");
  EXPECT_TRUE(json_object_body(json_request("{\"a\":1}", "application/json; charset=utf-8"), {"a"}).ok());
  EXPECT_TRUE(json_object_body(json_request("{}", "application/merge-patch+json")).ok());
}

TEST(Utf8, RejectsOverlongsAndSurrogates) {
  EXPECT_TRUE(valid_utf8("plain ascii"));
  EXPECT_TRUE(valid_utf8("\xc3\xa9t\xc3\xa9 \xf0\x9f\x98\x80"));
  EXPECT_FALSE(valid_utf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(valid_utf8("\xed\xa0\x80"));      // surrogate
  EXPECT_FALSE(valid_utf8("\xf4\x90\x80\x80"));  // > U+10FFFF
  EXPECT_FALSE(valid_utf8("\xe2\x82"));          // truncated
}

TEST(Validator, GathersAllFieldErrors) {
  auto obj = nlohmann::json{{"name", 5}, {"bio", std::string(20, 'x')}};
  Validator v(obj);
  v.string("email", true, 1, 10);
  v.string("name", true, 1, 10);
  v.string("bio", false, 0, 10);
  ASSERT_FALSE(v.ok());
  auto e = v.error();
  ASSERT_EQ(e.fields.size(), 3u);
  EXPECT_EQ(e.fields[0].field, "email");
  EXPECT_EQ(e.fields[1].message, "must be a string");
}

}  // namespace
}  // namespace tg::http
