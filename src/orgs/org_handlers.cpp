#include "orgs/org_handlers.hpp"

#include <regex>

#include "auth/auth_handlers.hpp"
#include "core/crypto.hpp"
#include "http/body.hpp"
#include "http/problem.hpp"
#include "orgs/permissions.hpp"

namespace tg::orgs {
using http::Request;
using http::Response;
using nlohmann::json;

namespace {
Response no_store(Response res) {
  res.set("Cache-Control", "no-store");
  return res;
}

OrgActor actor_of(const Request& req) {
  return OrgActor{req.user_id, req.account_id, req.request_id};
}

bool signed_in(const Request& req) {
  return !req.user_id.empty() && !req.account_id.empty();
}

Error member_missing() {
  return Error::coded(ErrorCode::NotFound, "MEMBER_NOT_FOUND", "No such member of this organization.");
}

Error invitation_missing() {
  return Error::coded(ErrorCode::NotFound, "INVITATION_NOT_FOUND", "No such pending invitation.");
}

bool valid_role(const std::string& r) {
  return r == "ADMIN" || r == "MEMBER" || r == "BILLING";
}

bool plausible_email(const std::string& e) {
  static const std::regex re(R"(^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$)");
  return e.size() <= 254 && std::regex_match(e, re);
}
}  // namespace

bool org_scoped(std::string_view path) {
  auto under = [&](std::string_view prefix) {
    return path.rfind(prefix, 0) == 0 && (path.size() == prefix.size() || path[prefix.size()] == '/');
  };
  return under("/api/organization") || under("/api/user/api-keys") || under("/api/user/usage") ||
         under("/api/user/subscription") || under("/api/user/billing");
}

Task<std::optional<Error>> resolve_organization(OrgRepository& repo, Request& req) {
  if (req.user_id.empty()) co_return std::nullopt;
  // Every signed-in request re-checks its session, so signing out everywhere, a suspension or an administrator's
  // revocation stops the access tokens already issued at once, on every instance (not after their 15 minutes).
  // Routes about the user (profile, sessions, the organization list, accepting an invitation) ignore the header.
  const bool scoped = org_scoped(req.path);
  const std::string* header = scoped ? req.header("x-organization-id") : nullptr;
  std::string org;
  if (scoped) org = req.account_id;  // the personal organization (access token claim)
  if (header) {
    if (!auth::is_uuid(*header)) {
      Error e = Error::of(ErrorCode::BadRequest, "X-Organization-Id must be an organization id (a UUID).");
      e.public_code = "INVALID_ORGANIZATION_ID";
      co_return e;
    }
    org = auth::lower_id(*header);
  }
  const std::string user = req.user_id;
  const std::string session = req.session_id;
  const std::string imp = req.impersonation_id;
  const std::string imp_by = req.impersonator_id;
  auto c = co_await repo.caller(org, user, session, imp, imp_by);
  if (!c) co_return c.error();
  // A validly signed token for a user that does not exist says nothing about any session: the generic 401.
  if (!c->found) co_return auth::unauthorized();
  if (!c->live) {
    co_return Error::coded(ErrorCode::Unauthorized, "SESSION_REVOKED",
                           "This session was signed out or revoked, or the account is suspended. Sign in again.");
  }
  // "View as customer" is read-only: every write is refused, except ending the impersonation itself.
  if (!req.impersonation_id.empty() && req.method != "GET" && req.method != "HEAD" &&
      req.path != "/api/impersonation/end") {
    co_return Error::coded(ErrorCode::Forbidden, "IMPERSONATION_READ_ONLY",
                           "You are viewing as this customer, read-only: changes are refused. End the view to act as "
                           "yourself.");
  }
  if (org.empty()) co_return std::nullopt;
  if (!c->membership) {
    if (!header) co_return std::nullopt;  // an account whose personal organization is gone: handlers decide
    co_return Error::coded(ErrorCode::NotFound, "ORGANIZATION_NOT_FOUND",
                           "No such organization, or you are not a member of it.");
  }
  req.account_id = org;
  req.org_role = c->membership->role;
  co_return std::nullopt;
}

void register_routes(http::Router& router, OrgRepository& repo) {
  router.add("GET", "/api/organizations", [&repo](Request& req) -> Task<Response> {
    if (req.user_id.empty()) co_return http::problem(auth::unauthorized(), req.request_id);
    const std::string user = req.user_id;
    auto list = co_await repo.list_for_user(user);
    if (!list) co_return http::problem(list.error(), req.request_id);
    const json out = {{"organizations", list.value()}};
    co_return no_store(Response::json(200, out));
  });

  router.add("POST", "/api/organizations", [&repo](Request& req) -> Task<Response> {
    if (req.user_id.empty()) co_return http::problem(auth::unauthorized(), req.request_id);
    auto body = http::json_object_body(req, {"name"});
    if (!body) co_return http::problem(body.error(), req.request_id);
    http::Validator v(*body);
    const std::string name = auth::trim(v.string("name", true, 1, 200));
    if (v.ok() && name.empty()) v.fail("name", "must not be blank");
    if (!v.ok()) co_return http::problem(v.error(), req.request_id);
    const std::string user = req.user_id, rid = req.request_id;
    auto id = co_await repo.create(user, name, rid);
    if (!id) co_return http::problem(id.error(), req.request_id);
    if (!id.value())
      co_return http::problem(Error::coded(ErrorCode::Conflict, "ORGANIZATION_LIMIT_REACHED",
                                           "You own as many team organizations as allowed (20)."),
                              req.request_id);
    auto created = co_await repo.get(*id.value(), user);
    if (!created) co_return http::problem(created.error(), req.request_id);
    if (!created.value())
      co_return http::problem(Error::of(ErrorCode::Internal, "organization vanished"), req.request_id);
    co_return no_store(Response::json(201, *created.value()));
  });

  router.add("GET", "/api/organization", [&repo](Request& req) -> Task<Response> {
    if (!signed_in(req)) co_return http::problem(auth::unauthorized(), req.request_id);
    const std::string org = req.account_id, user = req.user_id;
    auto o = co_await repo.get(org, user);
    if (!o) co_return http::problem(o.error(), req.request_id);
    if (!o.value())
      co_return http::problem(Error::coded(ErrorCode::NotFound, "ORGANIZATION_NOT_FOUND", "No such organization."),
                              req.request_id);
    co_return no_store(Response::json(200, *o.value()));
  });

  router.add("PATCH", "/api/organization", [&repo](Request& req) -> Task<Response> {
    if (!signed_in(req)) co_return http::problem(auth::unauthorized(), req.request_id);
    if (auto denied = require(req.org_role, Permission::manage_settings))
      co_return http::problem(*denied, req.request_id);
    auto body = http::json_object_body(req, {"name", "billingEmail"});
    if (!body) co_return http::problem(body.error(), req.request_id);
    http::Validator v(*body);
    std::optional<std::string> name;
    if (body->contains("name")) {
      name = auth::trim(v.string("name", true, 1, 200));
      if (v.ok() && name->empty()) v.fail("name", "must not be blank");
    }
    std::optional<std::string> email;
    const bool email_set = body->contains("billingEmail");
    if (email_set && !(*body)["billingEmail"].is_null()) {
      email = auth::trim(v.string("billingEmail", true, 3, 254));
      if (v.ok() && !plausible_email(*email)) v.fail("billingEmail", "must be an email address");
    }
    if (!name && !email_set) v.fail("body", "must change name or billingEmail");
    if (!v.ok()) co_return http::problem(v.error(), req.request_id);
    const OrgActor a = actor_of(req);
    auto r = co_await repo.update(a, name, email, email_set);
    if (!r) co_return http::problem(r.error(), req.request_id);
    const std::string org = req.account_id, user = req.user_id;
    auto o = co_await repo.get(org, user);
    if (!o) co_return http::problem(o.error(), req.request_id);
    if (!o.value())
      co_return http::problem(Error::coded(ErrorCode::NotFound, "ORGANIZATION_NOT_FOUND", "No such organization."),
                              req.request_id);
    co_return no_store(Response::json(200, *o.value()));
  });

  router.add("DELETE", "/api/organization", [&repo](Request& req) -> Task<Response> {
    if (!signed_in(req)) co_return http::problem(auth::unauthorized(), req.request_id);
    if (auto denied = require(req.org_role, Permission::delete_org)) co_return http::problem(*denied, req.request_id);
    const OrgActor a = actor_of(req);
    auto r = co_await repo.remove(a);
    if (!r) co_return http::problem(r.error(), req.request_id);
    if (!r.value())
      co_return http::problem(Error::coded(ErrorCode::Conflict, "PERSONAL_ORGANIZATION",
                                           "A personal organization is deleted with the account, not on its own."),
                              req.request_id);
    co_return Response::empty(204);
  });

  router.add("GET", "/api/organization/members", [&repo](Request& req) -> Task<Response> {
    if (!signed_in(req)) co_return http::problem(auth::unauthorized(), req.request_id);
    const std::string org = req.account_id;
    auto m = co_await repo.members(org);
    if (!m) co_return http::problem(m.error(), req.request_id);
    const json out = {{"members", m.value()}};
    co_return no_store(Response::json(200, out));
  });

  router.add("PATCH", "/api/organization/members/{userId}", [&repo](Request& req) -> Task<Response> {
    if (!signed_in(req)) co_return http::problem(auth::unauthorized(), req.request_id);
    if (auto denied = require(req.org_role, Permission::manage_members))
      co_return http::problem(*denied, req.request_id);
    const std::string target = auth::lower_id(req.param("userId"));
    if (!auth::is_uuid(target)) co_return http::problem(member_missing(), req.request_id);
    auto body = http::json_object_body(req, {"role"});
    if (!body) co_return http::problem(body.error(), req.request_id);
    http::Validator v(*body);
    const std::string role = v.string("role", true, 1, 20);
    if (v.ok() && !valid_role(role))
      v.fail("role", "must be ADMIN, MEMBER or BILLING (ownership is transferred, not set)");
    if (!v.ok()) co_return http::problem(v.error(), req.request_id);
    const std::string org = req.account_id;
    auto current = co_await repo.member_role(org, target);
    if (!current) co_return http::problem(current.error(), req.request_id);
    if (!current.value()) co_return http::problem(member_missing(), req.request_id);
    if (!may_manage_role(req.org_role, *current.value()) || !may_manage_role(req.org_role, role))
      co_return http::problem(Error::coded(ErrorCode::Forbidden, "ORGANIZATION_ROLE_FORBIDDEN",
                                           "An ADMIN manages MEMBER and BILLING members only; the OWNER's role "
                                           "changes by transferring ownership."),
                              req.request_id);
    const OrgActor a = actor_of(req);
    auto r = co_await repo.set_role(a, target, role);
    if (!r) co_return http::problem(r.error(), req.request_id);
    auto m = co_await repo.members(org);
    if (!m) co_return http::problem(m.error(), req.request_id);
    const json out = {{"members", m.value()}};
    co_return no_store(Response::json(200, out));
  });

  router.add("DELETE", "/api/organization/members/{userId}", [&repo](Request& req) -> Task<Response> {
    if (!signed_in(req)) co_return http::problem(auth::unauthorized(), req.request_id);
    if (auto denied = require(req.org_role, Permission::manage_members))
      co_return http::problem(*denied, req.request_id);
    const std::string target = auth::lower_id(req.param("userId"));
    if (!auth::is_uuid(target)) co_return http::problem(member_missing(), req.request_id);
    const std::string org = req.account_id;
    auto current = co_await repo.member_role(org, target);
    if (!current) co_return http::problem(current.error(), req.request_id);
    if (!current.value()) co_return http::problem(member_missing(), req.request_id);
    if (target == req.user_id)
      co_return http::problem(
          Error::coded(ErrorCode::Conflict, "USE_LEAVE", "To leave, use POST /api/organization/leave."),
          req.request_id);
    if (!may_manage_role(req.org_role, *current.value()))
      co_return http::problem(Error::coded(ErrorCode::Forbidden, "ORGANIZATION_ROLE_FORBIDDEN",
                                           "An ADMIN removes MEMBER and BILLING members only; the OWNER cannot be "
                                           "removed."),
                              req.request_id);
    const OrgActor a = actor_of(req);
    auto r = co_await repo.remove_member(a, target, "organization.member.removed");
    if (!r) co_return http::problem(r.error(), req.request_id);
    co_return Response::empty(204);
  });

  router.add("POST", "/api/organization/leave", [&repo](Request& req) -> Task<Response> {
    if (!signed_in(req)) co_return http::problem(auth::unauthorized(), req.request_id);
    if (req.org_role == "OWNER")
      co_return http::problem(Error::coded(ErrorCode::Conflict, "OWNER_CANNOT_LEAVE",
                                           "The owner transfers ownership before leaving (a personal organization "
                                           "cannot be left)."),
                              req.request_id);
    const OrgActor a = actor_of(req);
    const std::string self = req.user_id;
    auto r = co_await repo.remove_member(a, self, "organization.member.left");
    if (!r) co_return http::problem(r.error(), req.request_id);
    co_return Response::empty(204);
  });

  router.add("POST", "/api/organization/transfer", [&repo](Request& req) -> Task<Response> {
    if (!signed_in(req)) co_return http::problem(auth::unauthorized(), req.request_id);
    if (auto denied = require(req.org_role, Permission::transfer)) co_return http::problem(*denied, req.request_id);
    auto body = http::json_object_body(req, {"userId"});
    if (!body) co_return http::problem(body.error(), req.request_id);
    http::Validator v(*body);
    const std::string target = auth::lower_id(v.string("userId", true, 1, 36));
    if (v.ok() && !auth::is_uuid(target)) v.fail("userId", "must be a member's user id");
    if (v.ok() && target == req.user_id) v.fail("userId", "must be another member");
    if (!v.ok()) co_return http::problem(v.error(), req.request_id);
    const std::string org = req.account_id;
    auto current = co_await repo.member_role(org, target);
    if (!current) co_return http::problem(current.error(), req.request_id);
    if (!current.value()) co_return http::problem(member_missing(), req.request_id);
    const OrgActor a = actor_of(req);
    auto r = co_await repo.transfer(a, target);
    if (!r) co_return http::problem(r.error(), req.request_id);
    auto m = co_await repo.members(org);
    if (!m) co_return http::problem(m.error(), req.request_id);
    const json out = {{"members", m.value()}};
    co_return no_store(Response::json(200, out));
  });

  router.add("GET", "/api/organization/invitations", [&repo](Request& req) -> Task<Response> {
    if (!signed_in(req)) co_return http::problem(auth::unauthorized(), req.request_id);
    if (auto denied = require(req.org_role, Permission::manage_members))
      co_return http::problem(*denied, req.request_id);
    const std::string org = req.account_id;
    auto list = co_await repo.invitations(org);
    if (!list) co_return http::problem(list.error(), req.request_id);
    const json out = {{"invitations", list.value()}};
    co_return no_store(Response::json(200, out));
  });

  router.add("POST", "/api/organization/invitations", [&repo](Request& req) -> Task<Response> {
    if (!signed_in(req)) co_return http::problem(auth::unauthorized(), req.request_id);
    if (auto denied = require(req.org_role, Permission::manage_members))
      co_return http::problem(*denied, req.request_id);
    auto body = http::json_object_body(req, {"email", "role"});
    if (!body) co_return http::problem(body.error(), req.request_id);
    http::Validator v(*body);
    const std::string email = auth::trim(v.string("email", true, 3, 254));
    if (v.ok() && !plausible_email(email)) v.fail("email", "must be an email address");
    std::string role = "MEMBER";
    if (body->contains("role")) {
      role = v.string("role", true, 1, 20);
      if (!role.empty() && !valid_role(role)) v.fail("role", "must be ADMIN, MEMBER or BILLING");
    }
    if (!v.ok()) co_return http::problem(v.error(), req.request_id);
    if (!may_manage_role(req.org_role, role))
      co_return http::problem(Error::coded(ErrorCode::Forbidden, "ORGANIZATION_ROLE_FORBIDDEN",
                                           "An ADMIN invites MEMBER and BILLING members only."),
                              req.request_id);
    const std::string org = req.account_id;
    const std::string token = crypto::random_token(32);
    const NewInvitation inv{email, role, crypto::sha256_hex(token)};
    const OrgActor a = actor_of(req);
    auto outcome = co_await repo.invite(a, inv, token);
    if (!outcome) co_return http::problem(outcome.error(), req.request_id);
    const InviteCheck& check = outcome->check;
    if (check.personal)
      co_return http::problem(Error::coded(ErrorCode::Conflict, "PERSONAL_ORGANIZATION",
                                           "A personal organization has one member; create a team organization to "
                                           "invite people."),
                              req.request_id);
    if (check.already_member)
      co_return http::problem(Error::coded(ErrorCode::Conflict, "ALREADY_MEMBER", "This address is a member already."),
                              req.request_id);
    if (check.pending)
      co_return http::problem(Error::coded(ErrorCode::Conflict, "INVITATION_PENDING",
                                           "An invitation to this address is pending: resend it instead."),
                              req.request_id);
    if (check.limit_reached)
      co_return http::problem(Error::coded(ErrorCode::Conflict, "MEMBER_LIMIT_REACHED",
                                           "The organization has as many members and pending invitations as its "
                                           "plan allows."),
                              req.request_id);
    if (!outcome->id)
      co_return http::problem(Error::coded(ErrorCode::Conflict, "INVITATION_PENDING",
                                           "An invitation to this address is pending: resend it instead."),
                              req.request_id);
    auto list = co_await repo.invitations(org);
    if (!list) co_return http::problem(list.error(), req.request_id);
    json created = nullptr;
    for (const auto& i : list.value())
      if (i.value("id", "") == *outcome->id) created = i;
    co_return no_store(Response::json(201, created));
  });

  router.add("POST", "/api/organization/invitations/{id}/resend", [&repo](Request& req) -> Task<Response> {
    if (!signed_in(req)) co_return http::problem(auth::unauthorized(), req.request_id);
    if (auto denied = require(req.org_role, Permission::manage_members))
      co_return http::problem(*denied, req.request_id);
    const std::string id = auth::lower_id(req.param("id"));
    if (!auth::is_uuid(id)) co_return http::problem(invitation_missing(), req.request_id);
    const std::string org = req.account_id;
    auto role = co_await repo.pending_invitation_role(org, id);
    if (!role) co_return http::problem(role.error(), req.request_id);
    if (!role.value()) co_return http::problem(invitation_missing(), req.request_id);
    if (!may_manage_role(req.org_role, *role.value()))
      co_return http::problem(Error::coded(ErrorCode::Forbidden, "ORGANIZATION_ROLE_FORBIDDEN",
                                           "An ADMIN manages MEMBER and BILLING invitations only."),
                              req.request_id);
    const std::string token = crypto::random_token(32), hash = crypto::sha256_hex(token);
    const OrgActor a = actor_of(req);
    auto r = co_await repo.resend_invitation(a, id, hash, token);
    if (!r) co_return http::problem(r.error(), req.request_id);
    // Still pending here (checked above): refused only because an expired invitation has no seat to come back to.
    if (!r.value())
      co_return http::problem(Error::coded(ErrorCode::Conflict, "MEMBER_LIMIT_REACHED",
                                           "The organization has as many members and pending invitations as its "
                                           "plan allows."),
                              req.request_id);
    co_return Response::empty(204);
  });

  router.add("DELETE", "/api/organization/invitations/{id}", [&repo](Request& req) -> Task<Response> {
    if (!signed_in(req)) co_return http::problem(auth::unauthorized(), req.request_id);
    if (auto denied = require(req.org_role, Permission::manage_members))
      co_return http::problem(*denied, req.request_id);
    const std::string id = auth::lower_id(req.param("id"));
    if (!auth::is_uuid(id)) co_return http::problem(invitation_missing(), req.request_id);
    const std::string org = req.account_id;
    auto role = co_await repo.pending_invitation_role(org, id);
    if (!role) co_return http::problem(role.error(), req.request_id);
    if (!role.value()) co_return http::problem(invitation_missing(), req.request_id);
    if (!may_manage_role(req.org_role, *role.value()))
      co_return http::problem(Error::coded(ErrorCode::Forbidden, "ORGANIZATION_ROLE_FORBIDDEN",
                                           "An ADMIN manages MEMBER and BILLING invitations only."),
                              req.request_id);
    const OrgActor a = actor_of(req);
    auto r = co_await repo.revoke_invitation(a, id);
    if (!r) co_return http::problem(r.error(), req.request_id);
    if (!r.value()) co_return http::problem(invitation_missing(), req.request_id);
    co_return Response::empty(204);
  });

  router.add("POST", "/api/invitations/accept", [&repo](Request& req) -> Task<Response> {
    if (req.user_id.empty()) co_return http::problem(auth::unauthorized(), req.request_id);
    auto body = http::json_object_body(req, {"token"});
    if (!body) co_return http::problem(body.error(), req.request_id);
    http::Validator v(*body);
    const std::string token = v.string("token", true, 16, 200);
    if (!v.ok()) co_return http::problem(v.error(), req.request_id);
    const std::string hash = crypto::sha256_hex(token), user = req.user_id, rid = req.request_id;
    auto org = co_await repo.accept(hash, user, rid);
    if (!org) co_return http::problem(org.error(), req.request_id);
    auto o = co_await repo.get(org.value(), user);
    if (!o) co_return http::problem(o.error(), req.request_id);
    if (!o.value()) co_return http::problem(Error::of(ErrorCode::Internal, "organization vanished"), req.request_id);
    co_return no_store(Response::json(200, *o.value()));
  });
}

}  // namespace tg::orgs
