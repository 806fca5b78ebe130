#include "accounts/bootstrap.hpp"

#include <gtest/gtest.h>

#include "../tests/mocks/test_db.hpp"
#include "accounts/password.hpp"

namespace tg::accounts {
namespace {

TEST(Password, Argon2idRoundTrip) {
  auto h = hash_password("correct horse battery staple");
  ASSERT_TRUE(h.has_value());
  EXPECT_EQ(h->rfind("$argon2id$", 0), 0u);
  EXPECT_TRUE(verify_password(*h, "correct horse battery staple"));
  EXPECT_FALSE(verify_password(*h, "wrong"));
  EXPECT_FALSE(verify_password("garbage", "x"));
  EXPECT_NE(random_password(), random_password());
  EXPECT_GE(random_password().size(), 20u);
}

constexpr db::Query kAdmin{
    "test_admin_row",
    "SELECT u.role, u.email_verified_at IS NOT NULL AS verified, u.password_hash, o.personal, m.role AS member_role "
    "FROM users u JOIN organizations o ON o.owner_user_id = u.id "
    "JOIN organization_members m ON m.organization_id = o.id AND m.user_id = u.id WHERE lower(u.email) = lower($1)"};
constexpr db::Query kAudit{"test_admin_audit",
                           "SELECT count(*) AS n FROM audit_log WHERE action = 'admin.bootstrap.created'"};

TEST(CreateAdmin, CreatesUserOrgMembershipAndAuditOnce) {
  auto base = testing::TestDb::base_url();
  if (!base) GTEST_SKIP() << "TEST_DATABASE_URL not set (make test sets it)";
  testing::TestDb tdb(*base, "admin");
  ASSERT_TRUE(tdb.ok());
  tdb.run([&]() -> Task<void> {
    const AdminRequest root{"Root@Example.com", "a-long-enough-password", true};
    const AdminRequest other{"other@example.com", "a-long-enough-password", true};
    const AdminRequest same_email{"root@example.com", "a-long-enough-password", false};
    auto first = co_await create_admin(*tdb.db, root);
    EXPECT_TRUE(first.ok() && first.value() == AdminOutcome::created);
    auto again = co_await create_admin(*tdb.db, other);
    EXPECT_TRUE(again.ok() && again.value() == AdminOutcome::already_exists);
    auto dup = co_await create_admin(*tdb.db, same_email);
    EXPECT_FALSE(dup.ok());
    if (!dup.ok()) {
      EXPECT_EQ(dup.error().code, ErrorCode::Conflict);
    }

    db::Params p{"root@example.com"};
    auto row = co_await tdb.db->query(kAdmin, std::move(p));
    EXPECT_TRUE(row.ok() && row->size() == 1);
    if (row.ok() && row->size() == 1) {
      EXPECT_EQ(row->get(0, "role"), "ADMIN");
      EXPECT_TRUE(row->boolean(0, "verified"));
      EXPECT_TRUE(row->boolean(0, "personal"));
      EXPECT_EQ(row->get(0, "member_role"), "OWNER");
      EXPECT_TRUE(verify_password(row->get(0, "password_hash"), "a-long-enough-password"));
    }
    auto audit = co_await tdb.db->query(kAudit);
    EXPECT_EQ(audit->integer(0, "n"), 1);
  }());
}

}  // namespace
}  // namespace tg::accounts
