#pragma once
#include <optional>
#include <string_view>

#include "core/error.hpp"

namespace tg::orgs {

// What a member of an organization may do (docs/permissions.md is the written matrix; keep them equal).
enum class Permission {
  view,            // the organization, its members, its plan, usage
  manage_keys,     // list/create/rotate/update/revoke API keys
  view_billing,    // invoices, payment methods, the upcoming invoice
  manage_billing,  // checkout, plan change, cancel/resume, cards, portal
  manage_settings, // rename, billing email
  manage_members,  // invite, resend, revoke, change roles, remove (ADMIN: MEMBER and BILLING only)
  transfer,        // transfer ownership
  delete_org,      // delete a team organization
};

// Pure: the matrix itself.
bool allows(std::string_view role, Permission p);

// 403 ORGANIZATION_ROLE_FORBIDDEN naming what is needed; nothing when allowed.
std::optional<Error> require(std::string_view role, Permission p);

// Whether `actor_role` may manage a member holding (or being given) `target_role` (footnote 1 of the matrix).
bool may_manage_role(std::string_view actor_role, std::string_view target_role);

}  // namespace tg::orgs
