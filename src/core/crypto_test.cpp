#include "core/crypto.hpp"

#include <gtest/gtest.h>

namespace tg::crypto {
namespace {

TEST(SecretBox, RoundTripsAndRejectsTampering) {
  SecretBox box("key material of at least some length", "test.v1");
  const std::string sealed = box.seal("totp seed bytes");
  EXPECT_NE(sealed.find("totp seed"), 0u);
  auto opened = box.open(sealed);
  ASSERT_TRUE(opened);
  EXPECT_EQ(*opened, "totp seed bytes");
  std::string bad = sealed;
  bad[bad.size() - 1] ^= 1;
  EXPECT_FALSE(box.open(bad));
  EXPECT_FALSE(box.open("short"));
  EXPECT_NE(box.seal("x"), box.seal("x"));  // fresh nonce every time
}

TEST(SecretBox, ContextSeparatesKeys) {
  SecretBox a("same key", "ctx.a"), b("same key", "ctx.b");
  EXPECT_FALSE(b.open(a.seal("secret")));
}

TEST(RandomToken, IsUrlSafeAndLongEnough) {
  const std::string t = random_token();
  EXPECT_EQ(t.size(), 43u);
  EXPECT_EQ(t.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"), std::string::npos);
  EXPECT_NE(random_token(), t);
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "ab"));
}

}  // namespace
}  // namespace tg::crypto
