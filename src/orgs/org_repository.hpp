#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/async.hpp"
#include "core/error.hpp"
#include "db/db.hpp"

namespace tg::orgs {

struct Membership {
  std::string role;
  bool personal = false;
};

// What every signed-in /api request is checked against: is the session behind the access token still live (not
// revoked, its user active), and the caller's membership of the requested organization.
struct Caller {
  bool found = false;  // the token's user exists
  bool live = false;
  std::optional<Membership> membership;
};

// Who acts, for audit rows.
struct OrgActor {
  std::string user_id, organization_id, request_id;
};

struct NewInvitation {
  std::string email, role, token_hash_hex;
};

// What an invitation needs before it is sent (one read, so the answer can say why it cannot be).
struct InviteCheck {
  bool personal = false, already_member = false, pending = false, limit_reached = false;
  std::string organization_name, inviter_name;
};

struct InviteOutcome {
  InviteCheck check;
  std::optional<std::string> id;
};

// The organizations domain's SQL: organizations, organization_members and invitations.
class OrgRepository {
 public:
  explicit OrgRepository(db::Database& db) : db_(db) {}

  // The caller's membership of an organization that is not deleted; nothing when not a member.
  Task<Result<std::optional<Membership>>> membership(const std::string& organization_id, const std::string& user_id);
  // One read per request: the session (empty session_id: not checked) and, when organization_id is set, the
  // membership.
  // An impersonation token (impersonation_id set) is live while its row is neither ended nor expired and the
  // administrator's session family (session_id) is not revoked.
  Task<Result<Caller>> caller(const std::string& organization_id, const std::string& user_id,
                              const std::string& session_id, const std::string& impersonation_id,
                              const std::string& impersonator_id);
  Task<Result<nlohmann::json>> list_for_user(const std::string& user_id);
  // Nothing when the user owns too many team organizations already.
  Task<Result<std::optional<std::string>>> create(const std::string& user_id, const std::string& name,
                                                  const std::string& request_id);
  Task<Result<std::optional<nlohmann::json>>> get(const std::string& organization_id, const std::string& user_id);
  Task<Status> update(const OrgActor& a, const std::optional<std::string>& name,
                      const std::optional<std::string>& billing_email, bool billing_email_set);
  // False for a personal or already deleted organization.
  Task<Result<bool>> remove(const OrgActor& a);
  Task<Result<nlohmann::json>> members(const std::string& organization_id);
  Task<Result<std::optional<std::string>>> member_role(const std::string& organization_id, const std::string& user_id);
  Task<Status> set_role(const OrgActor& a, const std::string& user_id, const std::string& role);
  Task<Status> remove_member(const OrgActor& a, const std::string& user_id, const char* action);
  Task<Status> transfer(const OrgActor& a, const std::string& new_owner_id);

  // Checks (under a lock on the organization, so concurrent invitations cannot exceed the member limit) and, when
  // nothing stands in the way, stores the invitation and queues its email. `id` is empty when refused: `check` says why
  // (or, with no flag set, a pending invitation for the address appeared meanwhile).
  Task<Result<InviteOutcome>> invite(const OrgActor& a, const NewInvitation& inv, const std::string& token);
  Task<Result<nlohmann::json>> invitations(const std::string& organization_id);
  // The invitation's role, for the ADMIN-may-only-manage rule; nothing when it is not pending here.
  Task<Result<std::optional<std::string>>> pending_invitation_role(const std::string& organization_id,
                                                                   const std::string& invitation_id);
  Task<Result<bool>> revoke_invitation(const OrgActor& a, const std::string& invitation_id);
  Task<Result<bool>> resend_invitation(const OrgActor& a, const std::string& invitation_id,
                                       const std::string& token_hash_hex, const std::string& token);
  // Accepts for `user_id`: the organization id on success, or a typed error (expired, revoked, other address,
  // member limit).
  Task<Result<std::string>> accept(const std::string& token_hash_hex, const std::string& user_id,
                                   const std::string& request_id);

 private:
  db::Database& db_;
};

}  // namespace tg::orgs
