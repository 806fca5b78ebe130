#include "auth/totp.hpp"

#include <gtest/gtest.h>

namespace tg::auth {
namespace {

// RFC 6238 appendix B, SHA1 seed "12345678901234567890"; the RFC's codes are 8 digits, ours are the last 6.
TEST(Totp, MatchesRfc6238Vectors) {
  const std::string seed = "12345678901234567890";
  EXPECT_EQ(totp_code(seed, 59), "287082");
  EXPECT_EQ(totp_code(seed, 1111111109), "081804");
  EXPECT_EQ(totp_code(seed, 1111111111), "050471");
  EXPECT_EQ(totp_code(seed, 1234567890), "005924");
  EXPECT_EQ(totp_code(seed, 2000000000), "279037");
}

TEST(Totp, AcceptsOneStepOfDriftAndNeverTheSameStepTwice) {
  const std::string secret = random_totp_secret();
  const std::int64_t t = 1'800'000'015;
  auto code = totp_code(secret, t);
  auto m = verify_totp(secret, code, t, std::nullopt);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->step, t / 30);
  EXPECT_FALSE(verify_totp(secret, code, t + 5, m->step).has_value());                        // replay inside the step
  EXPECT_TRUE(verify_totp(secret, totp_code(secret, t - 30), t, std::nullopt).has_value());   // previous step
  EXPECT_TRUE(verify_totp(secret, totp_code(secret, t + 30), t, std::nullopt).has_value());   // next step
  EXPECT_FALSE(verify_totp(secret, totp_code(secret, t - 90), t, std::nullopt).has_value());  // too old
  EXPECT_FALSE(verify_totp(secret, "12345", t, std::nullopt).has_value());
  EXPECT_FALSE(verify_totp(secret, "12a456", t, std::nullopt).has_value());
}

TEST(Totp, OtpauthUriForAuthenticatorApps) {
  auto uri = otpauth_uri("Tollgate", "ada@example.com", "12345678901234567890");
  EXPECT_EQ(uri,
            "otpauth://totp/Tollgate:ada@example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Tollgate"
            "&algorithm=SHA1&digits=6&period=30");
  EXPECT_EQ(base32_encode("f"), "MY");
}

}  // namespace
}  // namespace tg::auth
