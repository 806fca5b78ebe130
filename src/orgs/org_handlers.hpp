#pragma once
#include <optional>

#include "http/router.hpp"
#include "orgs/org_repository.hpp"

namespace tg::orgs {

// Sets the request's active organization and the caller's role in it: `X-Organization-Id` when sent (checked
// against organization_members on every request, so a removed member loses access at once), else the personal
// organization from the access token. An error when the header is malformed (400) or names an organization the
// caller is not a member of (404 ORGANIZATION_NOT_FOUND).
// Whether a path acts for an organization (and so reads X-Organization-Id): docs/permissions.md.
bool org_scoped(std::string_view path);

Task<std::optional<Error>> resolve_organization(OrgRepository& repo, http::Request& req);

// /api/organizations (the caller's list, create), /api/organization/* (the active organization: settings,
// members, invitations, leave, transfer, delete) and POST /api/invitations/accept. docs/permissions.md.
void register_routes(http::Router& router, OrgRepository& repo);

}  // namespace tg::orgs
