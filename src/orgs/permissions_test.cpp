// The role matrix of docs/permissions.md, cell by cell.
#include "orgs/permissions.hpp"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace tg::orgs {
namespace {

TEST(Permissions, MatchTheWrittenMatrix) {
  using P = Permission;
  // role → the permissions it has (docs/permissions.md).
  const std::map<std::string, std::set<P>> has = {
      {"OWNER",
       {P::view, P::manage_keys, P::view_billing, P::manage_billing, P::manage_settings, P::manage_members, P::transfer,
        P::delete_org}},
      {"ADMIN", {P::view, P::manage_keys, P::view_billing, P::manage_settings, P::manage_members}},
      {"MEMBER", {P::view, P::manage_keys}},
      {"BILLING", {P::view, P::view_billing, P::manage_billing}},
      {"", {}},
      {"owner", {}},  // roles are exact, upper-case
  };
  const P all[] = {P::view,           P::manage_keys, P::view_billing, P::manage_billing, P::manage_settings,
                   P::manage_members, P::transfer,    P::delete_org};
  for (const auto& [role, perms] : has)
    for (P p : all) EXPECT_EQ(allows(role, p), perms.count(p) == 1) << role << " / " << static_cast<int>(p);
}

TEST(Permissions, RefusalNamesTheNeededRoleAndTheCallersRole) {
  auto e = require("MEMBER", Permission::manage_billing);
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->code, ErrorCode::Forbidden);
  EXPECT_EQ(e->public_code, "ORGANIZATION_ROLE_FORBIDDEN");
  EXPECT_NE(e->detail.find("OWNER or BILLING"), std::string::npos) << e->detail;
  EXPECT_NE(e->detail.find("MEMBER"), std::string::npos) << e->detail;
  EXPECT_FALSE(require("OWNER", Permission::delete_org).has_value());
}

TEST(Permissions, AdminsManageOnlyMembersAndBilling) {
  EXPECT_TRUE(may_manage_role("OWNER", "ADMIN"));
  EXPECT_TRUE(may_manage_role("OWNER", "MEMBER"));
  EXPECT_FALSE(may_manage_role("OWNER", "OWNER"));
  EXPECT_TRUE(may_manage_role("ADMIN", "MEMBER"));
  EXPECT_TRUE(may_manage_role("ADMIN", "BILLING"));
  EXPECT_FALSE(may_manage_role("ADMIN", "ADMIN"));
  EXPECT_FALSE(may_manage_role("ADMIN", "OWNER"));
  EXPECT_FALSE(may_manage_role("MEMBER", "MEMBER"));
  EXPECT_FALSE(may_manage_role("BILLING", "MEMBER"));
}

}  // namespace
}  // namespace tg::orgs
