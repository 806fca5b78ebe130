#include "verify/verify_body.hpp"

#include <gtest/gtest.h>

#include <random>

namespace tg::verify {
namespace {

http::Request request(std::string content_type, std::string body) {
  http::Request r;
  r.method = "POST";
  r.headers.emplace_back("content-type", std::move(content_type));
  r.body = std::move(body);
  return r;
}

// The full parser's answer: a content type the fast path never takes.
Result<VerifyInput> full(const std::string& body) {
  return parse_verify_body(request("application/json; charset=utf-8", body));
}

bool expect_same(const std::string& body) {
  VerifyInput fast;
  const bool took = parse_verify_body_fast("application/json", body, fast);
  auto slow = full(body);
  auto both = parse_verify_body(request("application/json", body));
  EXPECT_EQ(static_cast<bool>(both), static_cast<bool>(slow)) << body;
  if (static_cast<bool>(both) != static_cast<bool>(slow)) return took;
  if (took) {
    EXPECT_TRUE(static_cast<bool>(slow)) << "fast path accepted what the full parser refuses: " << body;
    if (!slow) return took;
    EXPECT_EQ(fast.key, slow->key) << body;
    EXPECT_EQ(fast.endpoint, slow->endpoint) << body;
    EXPECT_EQ(fast.method, slow->method) << body;
    EXPECT_EQ(fast.cost, slow->cost) << body;
  }
  if (both) {
    EXPECT_EQ(both->key, slow->key) << body;
    EXPECT_EQ(both->cost, slow->cost) << body;
  } else {
    EXPECT_EQ(both.error().code, slow.error().code) << body;
    EXPECT_EQ(both.error().fields.size(), slow.error().fields.size()) << body;
  }
  return took;
}

TEST(VerifyBody, FastPathTakesTheCommonShapes) {
  VerifyInput in;
  ASSERT_TRUE(parse_verify_body_fast("application/json",
                                     R"({"key":"tg_live_abc","endpoint":"/v1/x","method":"GET","cost":3})", in));
  EXPECT_EQ(in.key, "tg_live_abc");
  EXPECT_EQ(in.endpoint, "/v1/x");
  EXPECT_EQ(in.method, "GET");
  EXPECT_EQ(in.cost, 3);
  VerifyInput spaced;
  ASSERT_TRUE(parse_verify_body_fast("Application/JSON", " {\n \"cost\" : 0 ,\t\"key\" : \"\" }\r\n", spaced));
  EXPECT_EQ(spaced.key, "");
  EXPECT_EQ(spaced.cost, 0);
  VerifyInput bare;
  ASSERT_TRUE(parse_verify_body_fast("application/json", R"({"key":"k"})", bare));
  EXPECT_EQ(bare.cost, 1);  // the default
}

TEST(VerifyBody, FastPathLeavesEverythingElseToTheFullParser) {
  for (const char* body : {
           "",
           "{}",
           "[]",
           R"({"key":null})",
           R"({"key":"a\"b"})",
           R"({"key":"é"})",
           R"({"key":"k","key":"j"})",
           R"({"key":"k","extra":1})",
           R"({"key":"k","cost":1.0})",
           R"({"key":"k","cost":1e3})",
           R"({"key":"k","cost":-1})",
           R"({"key":"k","cost":01})",
           R"({"key":"k","cost":1000001})",
           R"({"key":"k","cost":"1"})",
           R"({"key":"k"} x)",
           R"({"key":"k",})",
           R"({"key":"k")",
           R"({"endpoint":"/x"})",
       }) {
    VerifyInput in;
    EXPECT_FALSE(parse_verify_body_fast("application/json", body, in)) << body;
    expect_same(body);
  }
  VerifyInput in;
  EXPECT_FALSE(parse_verify_body_fast("text/plain", R"({"key":"k"})", in));
  EXPECT_FALSE(parse_verify_body_fast("application/json", R"({"key":")" + std::string(257, 'a') + "\"}", in));
  EXPECT_FALSE(
      parse_verify_body_fast("application/json", R"({"key":"k","method":")" + std::string(17, 'M') + "\"}", in));
}

TEST(VerifyBody, ErrorsAreTheFullParsers) {
  EXPECT_EQ(parse_verify_body(request("text/plain", R"({"key":"k"})")).error().code, ErrorCode::UnsupportedMediaType);
  EXPECT_EQ(parse_verify_body(request("application/json", "{")).error().code, ErrorCode::MalformedJson);
  const auto missing = parse_verify_body(request("application/json", "{}"));
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, ErrorCode::ValidationFailed);
  ASSERT_EQ(missing.error().fields.size(), 1u);
  EXPECT_EQ(missing.error().fields[0].field, "key");
}

// Random bodies built from JSON-ish pieces: whenever the fast path answers, it answers as the full parser does.
TEST(VerifyBody, RandomBodiesAgreeWithTheFullParser) {
  const std::vector<std::string> pieces = {"{",
                                           "}",
                                           ",",
                                           ":",
                                           " ",
                                           "\"key\"",
                                           "\"endpoint\"",
                                           "\"method\"",
                                           "\"cost\"",
                                           "\"other\"",
                                           "\"tg_live_x\"",
                                           "\"\"",
                                           "\"a b\"",
                                           "\"\\n\"",
                                           "0",
                                           "1",
                                           "12",
                                           "1000000",
                                           "1000001",
                                           "-3",
                                           "2.5",
                                           "null",
                                           "true",
                                           "[",
                                           "]",
                                           "\"GET\"",
                                           "\"/v1/a\"",
                                           "\t",
                                           "\"\\u00e9\"",
                                           "07"};
  std::mt19937 rng(12345);  // fixed: a failure reproduces
  int fast = 0;
  for (int n = 0; n < 20000; ++n) {
    std::string body = "{";
    const int parts = static_cast<int>(rng() % 12);
    for (int i = 0; i < parts; ++i) body += pieces[rng() % pieces.size()];
    if (rng() % 2) body += "}";
    expect_same(body);
    // And well-formed objects of the known fields in random order and shape.
    std::string obj = "{";
    const char* names[] = {"\"key\"", "\"endpoint\"", "\"method\"", "\"cost\""};
    const int fields = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < fields; ++i) {
      if (i) obj += rng() % 2 ? "," : " , ";
      obj += names[rng() % 4];
      obj += ':';
      obj += pieces[10 + rng() % 10];
    }
    obj += "}";
    if (expect_same(obj)) ++fast;
  }
  EXPECT_GT(fast, 300);  // the comparison really covered the fast path
}

}  // namespace
}  // namespace tg::verify
