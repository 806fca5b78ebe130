#include "orgs/permissions.hpp"

#include <string>

namespace tg::orgs {

bool allows(std::string_view role, Permission p) {
  const bool owner = role == "OWNER", admin = role == "ADMIN", member = role == "MEMBER", billing = role == "BILLING";
  switch (p) {
    case Permission::view: return owner || admin || member || billing;
    case Permission::manage_keys: return owner || admin || member;
    case Permission::view_billing: return owner || admin || billing;
    case Permission::manage_billing: return owner || billing;
    case Permission::manage_settings:
    case Permission::manage_members: return owner || admin;
    case Permission::transfer:
    case Permission::delete_org: return owner;
  }
  return false;
}

std::optional<Error> require(std::string_view role, Permission p) {
  if (allows(role, p)) return std::nullopt;
  const char* need = "a member";
  switch (p) {
    case Permission::view: need = "a member"; break;
    case Permission::manage_keys: need = "OWNER, ADMIN or MEMBER"; break;
    case Permission::view_billing: need = "OWNER, ADMIN or BILLING"; break;
    case Permission::manage_billing: need = "OWNER or BILLING"; break;
    case Permission::manage_settings:
    case Permission::manage_members: need = "OWNER or ADMIN"; break;
    case Permission::transfer:
    case Permission::delete_org: need = "OWNER"; break;
  }
  return Error::coded(ErrorCode::Forbidden, "ORGANIZATION_ROLE_FORBIDDEN",
                      std::string("This needs the role ") + need +
                          " in the organization (yours: " + std::string(role.empty() ? "none" : role) + ").");
}

bool may_manage_role(std::string_view actor_role, std::string_view target_role) {
  if (actor_role == "OWNER") return target_role != "OWNER";
  if (actor_role == "ADMIN") return target_role == "MEMBER" || target_role == "BILLING";
  return false;
}

}  // namespace tg::orgs
