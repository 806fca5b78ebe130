#include "accounts/password.hpp"

#include <crypt.h>
#include <gtest/gtest.h>

#include <memory>

namespace tg::accounts {
namespace {

std::string bcrypt(const std::string& password, const char* prefix) {
  char salt[CRYPT_GENSALT_OUTPUT_SIZE];
  EXPECT_NE(crypt_gensalt_rn(prefix, 4, nullptr, 0, salt, sizeof salt), nullptr);
  auto data = std::make_unique<crypt_data>();
  const char* out = crypt_rn(password.c_str(), salt, data.get(), sizeof(crypt_data));
  return out ? std::string(out) : std::string();
}

TEST(Password, Argon2idRoundTrip) {
  auto h = hash_password("correct horse battery staple");
  ASSERT_TRUE(h);
  EXPECT_EQ(h->rfind("$argon2id$", 0), 0u);
  EXPECT_TRUE(verify_password(*h, "correct horse battery staple"));
  EXPECT_FALSE(verify_password(*h, "correct horse battery stapl"));
  EXPECT_FALSE(needs_rehash(*h));
}

TEST(Password, LegacyBcryptIsAcceptedAndMarkedForRehash) {
  for (const char* prefix : {"$2b$", "$2y$", "$2a$"}) {
    const std::string h = bcrypt("legacy password 1", prefix);
    ASSERT_EQ(h.size(), 60u) << prefix;
    EXPECT_TRUE(is_bcrypt(h));
    EXPECT_TRUE(verify_password(h, "legacy password 1")) << prefix;
    EXPECT_FALSE(verify_password(h, "legacy password 2")) << prefix;
    EXPECT_TRUE(needs_rehash(h));
  }
  // A NUL would silently truncate the bcrypt input: refused instead.
  const std::string h = bcrypt("abc", "$2b$");
  EXPECT_FALSE(verify_password(h, std::string("abc\0def", 7)));
}

TEST(Password, GarbageHashesNeverVerify) {
  EXPECT_FALSE(verify_password("", "x"));
  EXPECT_FALSE(verify_password("$2b$04$short", "x"));
  EXPECT_FALSE(verify_password("$argon2id$v=19$m=1,t=1,p=1$bad", "x"));
  EXPECT_FALSE(verify_password(std::string(5000, 'a'), "x"));
}

}  // namespace
}  // namespace tg::accounts
