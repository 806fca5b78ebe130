#include "auth/jwt.hpp"

#include <gtest/gtest.h>
#include <openssl/hmac.h>

#include "../tests/mocks/fake_clock.hpp"

namespace tg::auth {
namespace {

constexpr std::int64_t kNow = 1'800'000'000;

class JwtTest : public ::testing::Test {
 protected:
  testing::FakeClock clock{kNow * 1000};
  Jwt jwt{JwtSettings{"unit-test-secret-unit-test-secret!", "tollgate", "tollgate-api"}, clock};

  Claims claims(TokenType t = TokenType::access) {
    Claims c;
    c.subject = "user-1";
    c.organization = "org-1";
    c.role = "USER";
    c.type = t;
    c.issued_at = kNow;
    c.not_before = kNow;
    c.expires_at = kNow + 900;
    c.id = "jti-1";
    return c;
  }
  // Signs arbitrary header/payload JSON with the real secret (or another key), to build forgeries that only a
  // broken verifier would accept.
  static std::string forge(const std::string& header, const std::string& payload,
                           const std::string& key = "unit-test-secret-unit-test-secret!") {
    std::string input = base64url_encode(header) + "." + base64url_encode(payload);
    unsigned char mac[32];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(input.data()),
         input.size(), mac, &len);
    return input + "." + base64url_encode(std::string(reinterpret_cast<char*>(mac), len));
  }
  static std::string payload(std::int64_t exp = kNow + 900, std::int64_t nbf = kNow, const std::string& typ = "access",
                             const std::string& iss = "tollgate", const std::string& aud = "tollgate-api") {
    return nlohmann::json{{"iss", iss},  {"aud", aud}, {"sub", "user-1"}, {"typ", typ},
                          {"iat", kNow}, {"nbf", nbf}, {"exp", exp}}
        .dump();
  }
  void expect_rejected(const std::string& token, const char* why, TokenType t = TokenType::access) {
    auto r = jwt.verify(token, t);
    EXPECT_FALSE(r.ok()) << why;
    if (!r.ok()) {
      EXPECT_EQ(r.error().code, ErrorCode::Unauthorized) << why;
    }
  }
};

TEST_F(JwtTest, RoundTrip) {
  auto token = jwt.sign(claims());
  auto r = jwt.verify(token, TokenType::access);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->subject, "user-1");
  EXPECT_EQ(r->organization, "org-1");
  EXPECT_EQ(r->role, "USER");
  EXPECT_EQ(r->expires_at, kNow + 900);
  EXPECT_TRUE(jwt.verify(forge(R"({"alg":"HS256","typ":"JWT"})", payload()), TokenType::access).ok());
}

TEST_F(JwtTest, ForgeryCorpusIsRejected) {
  const std::string good_header = R"({"alg":"HS256","typ":"JWT"})";
  const std::string token = jwt.sign(claims());
  const auto dot1 = token.find('.');
  const auto dot2 = token.rfind('.');
  const std::string unsigned_part = token.substr(0, dot2);

  expect_rejected(base64url_encode(R"({"alg":"none","typ":"JWT"})") + "." + base64url_encode(payload()) + ".",
                  "alg none, empty signature");
  expect_rejected(forge(R"({"alg":"none","typ":"JWT"})", payload()), "alg none, signed anyway");
  expect_rejected(forge(R"({"alg":"None","typ":"JWT"})", payload()), "alg None");
  expect_rejected(forge(R"({"alg":"HS512","typ":"JWT"})", payload()), "another HMAC alg");
  // HS/RS confusion: an RS256 header "signed" with HMAC over a public key as the secret.
  expect_rejected(forge(R"({"alg":"RS256","typ":"JWT"})", payload(), "-----BEGIN PUBLIC KEY-----"), "RS256 confusion");
  expect_rejected(forge(R"({"typ":"JWT"})", payload()), "no alg");
  expect_rejected(unsigned_part + ".", "empty signature");
  expect_rejected(unsigned_part + "." + token.substr(dot2 + 1, 20), "truncated signature");
  expect_rejected(unsigned_part, "two segments");
  expect_rejected(token + ".extra", "four segments");
  expect_rejected(forge(good_header, payload(kNow - 1)), "expired by 1 s");
  expect_rejected(forge(good_header, payload(kNow)), "expires exactly now");
  expect_rejected(forge(good_header, payload(kNow + 900, kNow + 60)), "nbf in the future");
  expect_rejected(forge(good_header, payload(kNow + 900, kNow, "access", "someone-else")), "wrong iss");
  expect_rejected(forge(good_header, payload(kNow + 900, kNow, "access", "tollgate", "other-api")), "wrong aud");
  expect_rejected(forge(good_header, payload(kNow + 900, kNow, "refresh")), "refresh typ used as access");
  expect_rejected(jwt.sign(claims(TokenType::mfa_pending)), "mfa-pending token used as access");
  expect_rejected(jwt.sign(claims(TokenType::access)), "access token used as mfa-pending", TokenType::mfa_pending);
  expect_rejected(forge(good_header, payload(), "a-different-secret"), "wrong key");
  expect_rejected(token.substr(0, dot1) + "." + base64url_encode(payload(kNow + 99999)) + token.substr(dot2),
                  "payload swapped under the old signature");
  expect_rejected(std::string(64 * 1024, 'a') + "." + std::string(10, 'b') + "." + std::string(43, 'c'),
                  "64 KiB token");
  expect_rejected("", "empty token");
  expect_rejected("...", "only dots");
  expect_rejected(base64url_encode("not json") + "." + base64url_encode(payload()) + ".sig", "header not JSON");
  expect_rejected(forge(good_header, "[]"), "payload not an object");
  expect_rejected(
      forge(good_header,
            R"({"iss":"tollgate","aud":"tollgate-api","sub":"u","typ":"access","iat":1,"nbf":1,"exp":"9999999999"})"),
      "exp as a string");
  expect_rejected(forge(R"({"alg":"HS256","typ":"JWT","jku":"https://evil.example/keys"})", payload()), "jku header");
  std::string padded = token + "=";
  expect_rejected(padded, "padding in the signature");
}

TEST(Base64Url, RoundTripsAndRejectsNonCanonical) {
  for (const std::string& s :
       std::vector<std::string>{"", "f", "fo", "foo", "foob", "fooba", "foobar", std::string("\0\xff\xfe", 3)}) {
    auto enc = base64url_encode(s);
    EXPECT_EQ(enc.find('='), std::string::npos);
    auto dec = base64url_decode(enc);
    ASSERT_TRUE(dec.has_value()) << s;
    EXPECT_EQ(*dec, s);
  }
  EXPECT_FALSE(base64url_decode("Zm9v+").has_value());
  EXPECT_FALSE(base64url_decode("Zh").has_value());  // 'Zg' is canonical for "f"; 'Zh' has stray bits
  EXPECT_FALSE(base64url_decode("A").has_value());
}

}  // namespace
}  // namespace tg::auth
