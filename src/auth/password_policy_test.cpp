#include "auth/password_policy.hpp"

#include <gtest/gtest.h>

namespace tg::auth {
namespace {

TEST(PasswordPolicy, AcceptsLongUnusualPasswords) {
  for (const char* ok :
       {"correct horse battery staple", "vivid-otter-42-lamp", "839274018273", "Tr0ub4dor&3xyz", "my cat likes jazz"}) {
    EXPECT_FALSE(password_problem(ok, "ann@example.com")) << ok;
  }
}

TEST(PasswordPolicy, RefusesShortCommonAndDerivedPasswords) {
  for (const char* bad :
       {"short", "password1234", "Password123!", "P@ssw0rd2024!", "iloveyou2024", "Dr@gon123456", "passwordpassword",
        "QwertyQwerty", "123456789012", "abcdefghijkl", "qwertyuiopas", "1qaz2wsx3edc", "123123123123", "aaaaaaaaaaaa",
        "abcabcabcabc", "!!!Welcome2025", "tollgate2026!"}) {
    EXPECT_TRUE(password_problem(bad, "ann@example.com")) << bad;
  }
}

TEST(PasswordPolicy, RefusesTheEmailAddress) {
  EXPECT_TRUE(password_problem("ann.lee.1984@example.com", "ann.lee.1984@example.com"));
  EXPECT_TRUE(password_problem("ann.lee.1984", "ann.lee.1984@example.com"));
}

TEST(Email, Syntax) {
  EXPECT_TRUE(valid_email("a@example.com"));
  EXPECT_FALSE(valid_email("a@b"));
  EXPECT_FALSE(valid_email("@example.com"));
  EXPECT_FALSE(valid_email("a b@example.com"));
  EXPECT_FALSE(valid_email("a@@example.com"));
}

}  // namespace
}  // namespace tg::auth
