#include "orgs/org_repository.hpp"

#include "db/sql_macros.hpp"
#include "mail/outbox.hpp"

namespace tg::orgs {
namespace {
// The plan's member limit (NULL: unlimited) of organization $1.
#define MAX_MEMBERS                                                                                        \
  "(SELECT p.max_members FROM plans p WHERE p.id = COALESCE((SELECT s.plan_id FROM subscriptions s WHERE " \
  "s.organization_id = $1::uuid AND s.status IN ('trialing', 'active', 'past_due', 'unpaid', 'paused')), " \
  "(SELECT id FROM plans WHERE slug = 'free')))"
#define ORG_JSON(o, role)                                                                           \
  "jsonb_build_object('id', " o ".id, 'name', " o ".name, 'personal', " o ".personal, 'status', " o \
  ".status, 'role', " role ", 'billingEmail', " o                                                   \
  ".billing_email, 'memberCount', (SELECT count(*) FROM "                                           \
  "organization_members x WHERE x.organization_id = " o ".id), 'createdAt', " SQL_TS(o ".created_at") ")"

// Serializes what counts against a limit: members and invitations of one organization, organizations of one
// owner (two concurrent requests must not both see room for one more).
const db::Query kLockOrganization{"orgs_lock_organization",
                                  "SELECT id FROM organizations WHERE id = $1::uuid FOR NO KEY UPDATE"};
const db::Query kLockUser{"orgs_lock_user", "SELECT id FROM users WHERE id = $1::uuid FOR NO KEY UPDATE"};

const db::Query kMembership{
    "orgs_membership",
    "SELECT m.role, o.personal FROM organization_members m JOIN organizations o ON o.id = m.organization_id "
    "WHERE m.organization_id = $1::uuid AND m.user_id = $2::uuid AND o.status <> 'deleted'"};

// The access token's sid names the session family (it survives refresh rotation); signing out, a suspension, a
// password change or an admin action sets revoked_at on every row of the family.
const db::Query kCaller{
    "orgs_caller",
    "SELECT u.status = 'active' AND ($3::uuid IS NULL OR EXISTS (SELECT 1 FROM sessions s WHERE s.family_id = "
    "$3::uuid AND s.user_id = COALESCE($5::uuid, u.id) AND s.revoked_at IS NULL)) AND ($4::uuid IS NULL OR EXISTS "
    "(SELECT 1 FROM impersonations i WHERE i.id = $4::uuid AND i.admin_user_id = $5::uuid AND i.user_id = u.id AND "
    "i.ended_at IS NULL AND i.expires_at > now())) AS live, m.role, o.personal FROM users u "
    "LEFT JOIN organization_members m ON m.organization_id = $1::uuid AND m.user_id = u.id "
    "LEFT JOIN organizations o ON o.id = m.organization_id AND o.status <> 'deleted' WHERE u.id = $2::uuid"};

const db::Query kInvitationNotice{
    "orgs_invitation_notice",
    "SELECT count(*) FILTER (WHERE tg_notify(u.id, $2::uuid, 'invitation_received', $3::jsonb, $4, NULL, NULL)) "
    "AS n FROM users u WHERE lower(u.email) = lower($1) AND u.status = 'active'"};

const db::Query kListMine{"orgs_list_mine",
                          "SELECT COALESCE(jsonb_agg(" ORG_JSON("o", "m.role") " ORDER BY o.personal DESC, "
                          "lower(o.name), o.id), '[]'::jsonb)::text FROM organization_members m JOIN organizations o "
                          "ON o.id = m.organization_id WHERE m.user_id = $1::uuid AND o.status <> 'deleted'"};

// At most 20 team organizations owned per user (abuse guard); the Stripe customer is created by the same job as
// at registration.
const db::Query kCreate{
    "orgs_create",
    "WITH o AS (INSERT INTO organizations (name, owner_user_id) SELECT $2, $1::uuid WHERE (SELECT count(*) FROM "
    "organizations WHERE owner_user_id = $1::uuid AND NOT personal AND status <> 'deleted') < 20 RETURNING id), "
    "m AS (INSERT INTO organization_members (organization_id, user_id, role) SELECT id, $1::uuid, 'OWNER' FROM o), "
    "j AS (INSERT INTO jobs (kind, payload, idempotency_key) SELECT 'stripe.create_customer', "
    "jsonb_build_object('organizationId', id::text), 'stripe.create_customer:' || id FROM o), "
    "a AS (INSERT INTO audit_log (actor_type, actor_user_id, organization_id, action, target_type, target_id, "
    "request_id) SELECT 'user', $1::uuid, id, 'organization.created', 'organization', id::text, $3 FROM o) "
    "SELECT id::text FROM o"};

const db::Query kGet{"orgs_get",
                     "SELECT " ORG_JSON("o", "m.role") "::text FROM organizations o JOIN organization_members m "
                     "ON m.organization_id = o.id AND m.user_id = $2::uuid WHERE o.id = $1::uuid "
                     "AND o.status <> 'deleted'"};

const db::Query kUpdate{
    "orgs_update",
    "WITH u AS (UPDATE organizations SET name = COALESCE($3, name), billing_email = CASE WHEN $4::boolean THEN "
    "NULLIF($5, '') ELSE billing_email END WHERE id = $1::uuid AND status <> 'deleted' RETURNING id) "
    "INSERT INTO audit_log (actor_type, actor_user_id, organization_id, action, target_type, target_id, request_id, "
    "metadata) SELECT 'user', $2::uuid, u.id, 'organization.updated', 'organization', u.id::text, $6, $7::jsonb "
    "FROM u"};

const db::Query kRemove{
    "orgs_remove",
    "WITH d AS (UPDATE organizations SET status = 'deleted', deleted_at = now() WHERE id = $1::uuid AND NOT personal "
    "AND status <> 'deleted' RETURNING id), "
    "inv AS (UPDATE invitations SET revoked_at = now() WHERE organization_id IN (SELECT id FROM d) "
    "AND accepted_at IS NULL AND revoked_at IS NULL), "
    "j AS (INSERT INTO jobs (kind, payload, idempotency_key) SELECT 'stripe.delete_customer', "
    "jsonb_build_object('organizationId', id::text), 'stripe.delete_customer:' || id FROM d "
    "ON CONFLICT (idempotency_key) DO NOTHING), "
    "a AS (INSERT INTO audit_log (actor_type, actor_user_id, organization_id, action, target_type, target_id, "
    "request_id) SELECT 'user', $2::uuid, id, 'organization.deleted', 'organization', id::text, $3 FROM d) "
    "SELECT id FROM d"};

const db::Query kMembers{
    "orgs_members",
    "SELECT COALESCE(jsonb_agg(jsonb_build_object('userId', u.id, 'email', u.email, 'name', u.name, 'role', m.role, "
    "'joinedAt', " SQL_TS("m.created_at") ") ORDER BY (m.role = 'OWNER') DESC, lower(u.email)), '[]'::jsonb)::text "
    "FROM organization_members m JOIN users u ON u.id = m.user_id WHERE m.organization_id = $1::uuid"};

const db::Query kMemberRole{"orgs_member_role",
                            "SELECT role FROM organization_members WHERE organization_id = $1::uuid "
                            "AND user_id = $2::uuid"};

const db::Query kSetRole{
    "orgs_set_role",
    "WITH u AS (UPDATE organization_members SET role = $4 WHERE organization_id = $1::uuid AND user_id = $3::uuid "
    "AND role <> 'OWNER' RETURNING user_id) "
    "INSERT INTO audit_log (actor_type, actor_user_id, organization_id, action, target_type, target_id, request_id, "
    "metadata) SELECT 'user', $2::uuid, $1::uuid, 'organization.member.role_changed', 'user', u.user_id::text, $5, "
    "jsonb_build_object('role', $4::text) FROM u"};

const db::Query kRemoveMember{
    "orgs_remove_member",
    "WITH d AS (DELETE FROM organization_members WHERE organization_id = $1::uuid AND user_id = $3::uuid "
    "AND role <> 'OWNER' RETURNING user_id) "
    "INSERT INTO audit_log (actor_type, actor_user_id, organization_id, action, target_type, target_id, request_id) "
    "SELECT 'user', $2::uuid, $1::uuid, $4, 'user', d.user_id::text, $5 FROM d"};

const db::Query kDemoteOwner{"orgs_demote_owner",
                             "UPDATE organization_members SET role = 'ADMIN' WHERE organization_id = $1::uuid "
                             "AND user_id = $2::uuid AND role = 'OWNER' RETURNING user_id"};
const db::Query kPromoteOwner{
    "orgs_promote_owner",
    "WITH p AS (UPDATE organization_members SET role = 'OWNER' WHERE organization_id = $1::uuid AND user_id = "
    "$2::uuid RETURNING user_id), "
    "o AS (UPDATE organizations SET owner_user_id = $2::uuid WHERE id = $1::uuid AND EXISTS (SELECT 1 FROM p)) "
    "INSERT INTO audit_log (actor_type, actor_user_id, organization_id, action, target_type, target_id, request_id) "
    "SELECT 'user', $3::uuid, $1::uuid, 'organization.ownership_transferred', 'user', p.user_id::text, $4 FROM p "
    "RETURNING id"};

const db::Query kInviteCheck{
    "orgs_invite_check",
    "SELECT o.name, o.personal, (SELECT name FROM users WHERE id = $3::uuid) AS inviter, "
    "EXISTS (SELECT 1 FROM organization_members m JOIN users u ON u.id = m.user_id WHERE m.organization_id = "
    "$1::uuid AND lower(u.email) = lower($2)) AS already, "
    "EXISTS (SELECT 1 FROM invitations WHERE organization_id = $1::uuid AND lower(email) = lower($2) "
    "AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > now()) AS pending, "
    "COALESCE((SELECT count(*) FROM organization_members WHERE organization_id = $1::uuid) + (SELECT count(*) FROM "
    "invitations WHERE organization_id = $1::uuid AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > "
    "now()) >= " MAX_MEMBERS ", false) AS is_full FROM organizations o WHERE o.id = $1::uuid"};

// An expired pending invitation for the same address is closed first (the pending index allows one).
const db::Query kInvite{
    "orgs_invite",
    "WITH old AS (UPDATE invitations SET revoked_at = now() WHERE organization_id = $1::uuid AND lower(email) = "
    "lower($3) AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at <= now() RETURNING id), "
    "i AS (INSERT INTO invitations (organization_id, email, role, token_hash, invited_by, expires_at, last_sent_at) "
    "SELECT $1::uuid, $3, $4, decode($5, 'hex'), $2::uuid, now() + interval '7 days', now() "
    "WHERE (SELECT count(*) FROM old) >= 0 "
    "ON CONFLICT (organization_id, lower(email)) WHERE accepted_at IS NULL AND revoked_at IS NULL DO NOTHING "
    "RETURNING id), "
    "a AS (INSERT INTO audit_log (actor_type, actor_user_id, organization_id, action, target_type, target_id, "
    "request_id, metadata) SELECT 'user', $2::uuid, $1::uuid, 'organization.invitation.sent', 'invitation', "
    "i.id::text, $6, jsonb_build_object('role', $4::text) FROM i) "
    "SELECT id::text FROM i"};

const db::Query kInvitations{
    "orgs_invitations",
    "SELECT COALESCE(jsonb_agg(jsonb_build_object('id', i.id, 'email', i.email, 'role', i.role, 'status', "
    "CASE WHEN i.expires_at <= now() THEN 'expired' ELSE 'pending' END, 'expiresAt', " SQL_TS("i.expires_at") ", "
    "'sendCount', i.send_count, 'invitedBy', i.invited_by, 'createdAt', " SQL_TS("i.created_at") ") ORDER BY "
    "i.created_at DESC), '[]'::jsonb)::text FROM invitations i WHERE i.organization_id = $1::uuid "
    "AND i.accepted_at IS NULL AND i.revoked_at IS NULL"};

const db::Query kPendingRole{"orgs_pending_invitation_role",
                             "SELECT role FROM invitations WHERE id = $2::uuid AND organization_id = $1::uuid "
                             "AND accepted_at IS NULL AND revoked_at IS NULL"};

const db::Query kRevoke{
    "orgs_revoke_invitation",
    "WITH r AS (UPDATE invitations SET revoked_at = now() WHERE id = $3::uuid AND organization_id = $1::uuid "
    "AND accepted_at IS NULL AND revoked_at IS NULL RETURNING id) "
    "INSERT INTO audit_log (actor_type, actor_user_id, organization_id, action, target_type, target_id, request_id) "
    "SELECT 'user', $2::uuid, $1::uuid, 'organization.invitation.revoked', 'invitation', r.id::text, $4 FROM r "
    "RETURNING id"};

const db::Query kResend{
    "orgs_resend_invitation",
    "WITH r AS (UPDATE invitations SET token_hash = decode($4, 'hex'), expires_at = now() + interval '7 days', "
    "send_count = send_count + 1, last_sent_at = now() WHERE id = $3::uuid AND organization_id = $1::uuid "
    "AND accepted_at IS NULL AND revoked_at IS NULL "
    // An expired invitation no longer holds a seat: reviving it needs one free, like a new invitation.
    "AND (expires_at > now() OR COALESCE((SELECT count(*) FROM organization_members WHERE organization_id = $1::uuid) "
    "+ (SELECT count(*) FROM invitations WHERE organization_id = $1::uuid AND accepted_at IS NULL AND revoked_at IS "
    "NULL AND expires_at > now()) < " MAX_MEMBERS
    ", true)) RETURNING id, email, send_count), "
    "a AS (INSERT INTO audit_log (actor_type, actor_user_id, organization_id, action, target_type, target_id, "
    "request_id) SELECT 'user', $2::uuid, $1::uuid, 'organization.invitation.resent', 'invitation', r.id::text, $5 "
    "FROM r) "
    "SELECT r.email, r.send_count, o.name, (SELECT name FROM users WHERE id = $2::uuid) AS inviter "
    "FROM r JOIN organizations o ON o.id = $1::uuid"};

const db::Query kInvitationByToken{
    "orgs_invitation_by_token",
    "SELECT i.id::text AS id, i.organization_id::text AS org, i.email, i.role, i.accepted_at IS NOT NULL AS accepted, "
    "i.revoked_at IS NOT NULL AS revoked, i.expires_at <= now() AS expired, o.status AS org_status, "
    "lower(i.email) = lower((SELECT email FROM users WHERE id = $2::uuid)) AS same_address "
    "FROM invitations i JOIN organizations o ON o.id = i.organization_id WHERE i.token_hash = decode($1, 'hex') "
    "FOR UPDATE OF i"};

const db::Query kAcceptInsert{
    "orgs_accept",
    "WITH full_check AS (SELECT COALESCE((SELECT count(*) FROM organization_members WHERE organization_id = $1::uuid) "
    ">= " MAX_MEMBERS
    ", false) AS is_full), "
    "m AS (INSERT INTO organization_members (organization_id, user_id, role, invited_by) SELECT $1::uuid, $2::uuid, "
    "$3, (SELECT invited_by FROM invitations WHERE id = $4::uuid) WHERE NOT (SELECT is_full FROM full_check) "
    "ON CONFLICT (organization_id, user_id) DO NOTHING RETURNING user_id), "
    "i AS (UPDATE invitations SET accepted_at = now(), accepted_by = $2::uuid WHERE id = $4::uuid "
    "AND NOT (SELECT is_full FROM full_check)), "
    "a AS (INSERT INTO audit_log (actor_type, actor_user_id, organization_id, action, target_type, target_id, "
    "request_id) SELECT 'user', $2::uuid, $1::uuid, 'organization.invitation.accepted', 'invitation', $4, $5 "
    "WHERE NOT (SELECT is_full FROM full_check)) "
    "SELECT (SELECT is_full FROM full_check) AS is_full"};
#undef ORG_JSON
#undef MAX_MEMBERS
#undef SQL_TS

std::optional<nlohmann::json> doc(const db::Rows& r) {
  if (r.empty() || r.is_null(0, 0)) return std::nullopt;
  return nlohmann::json::parse(r.get(0, 0));
}
}  // namespace

Task<Result<std::optional<Membership>>> OrgRepository::membership(const std::string& organization_id,
                                                                  const std::string& user_id) {
  db::Params p{organization_id, user_id};
  auto r = co_await db_.query(kMembership, std::move(p));
  if (!r) co_return r.error();
  std::optional<Membership> out;
  if (!r->empty()) out = Membership{std::string(r->get(0, "role")), r->boolean(0, "personal")};
  co_return out;
}

Task<Result<Caller>> OrgRepository::caller(const std::string& organization_id, const std::string& user_id,
                                           const std::string& session_id, const std::string& impersonation_id,
                                           const std::string& impersonator_id) {
  auto param = [](const std::string& v) { return v.empty() ? db::Param() : db::Param(v); };
  db::Params p{param(organization_id), user_id, param(session_id), param(impersonation_id), param(impersonator_id)};
  auto r = co_await db_.query(kCaller, std::move(p));
  if (!r) co_return r.error();
  Caller out;
  if (r->empty()) co_return out;
  out.found = true;
  out.live = r->boolean(0, "live");
  if (auto role = r->opt(0, "role"); role && r->opt(0, "personal"))
    out.membership = Membership{*role, r->boolean(0, "personal")};
  co_return out;
}

Task<Result<nlohmann::json>> OrgRepository::list_for_user(const std::string& user_id) {
  db::Params p{user_id};
  auto r = co_await db_.query(kListMine, std::move(p));
  if (!r) co_return r.error();
  co_return nlohmann::json::parse(r->get(0, 0));
}

Task<Result<std::optional<std::string>>> OrgRepository::create(const std::string& user_id, const std::string& name,
                                                               const std::string& request_id) {
  auto tx = co_await db_.begin();
  if (!tx) co_return tx.error();
  db::Params lock{user_id};
  auto locked = co_await tx->query(kLockUser, std::move(lock));
  if (!locked) co_return locked.error();
  db::Params p{user_id, name, request_id};
  auto r = co_await tx->query(kCreate, std::move(p));
  if (!r) co_return r.error();
  std::optional<std::string> id;
  if (!r->empty()) id = std::string(r->get(0, 0));
  auto committed = co_await tx->commit();
  if (!committed) co_return committed.error();
  co_return id;
}

Task<Result<std::optional<nlohmann::json>>> OrgRepository::get(const std::string& organization_id,
                                                               const std::string& user_id) {
  db::Params p{organization_id, user_id};
  auto r = co_await db_.query(kGet, std::move(p));
  if (!r) co_return r.error();
  co_return doc(r.value());
}

Task<Status> OrgRepository::update(const OrgActor& a, const std::optional<std::string>& name,
                                   const std::optional<std::string>& billing_email, bool billing_email_set) {
  nlohmann::json changed = nlohmann::json::array();
  if (name) changed.push_back("name");
  if (billing_email_set) changed.push_back("billingEmail");
  const nlohmann::json detail = {{"changed", changed}};
  const char* set = billing_email_set ? "true" : "false";
  db::Params p{a.organization_id,          a.user_id,    name,         std::string(set),
               billing_email.value_or(""), a.request_id, detail.dump()};
  auto r = co_await db_.query(kUpdate, std::move(p));
  if (!r) co_return r.error();
  co_return ok_status();
}

Task<Result<bool>> OrgRepository::remove(const OrgActor& a) {
  db::Params p{a.organization_id, a.user_id, a.request_id};
  auto r = co_await db_.query(kRemove, std::move(p));
  if (!r) co_return r.error();
  co_return !r->empty();
}

Task<Result<nlohmann::json>> OrgRepository::members(const std::string& organization_id) {
  db::Params p{organization_id};
  auto r = co_await db_.query(kMembers, std::move(p));
  if (!r) co_return r.error();
  co_return nlohmann::json::parse(r->get(0, 0));
}

Task<Result<std::optional<std::string>>> OrgRepository::member_role(const std::string& organization_id,
                                                                    const std::string& user_id) {
  db::Params p{organization_id, user_id};
  auto r = co_await db_.query(kMemberRole, std::move(p));
  if (!r) co_return r.error();
  std::optional<std::string> out;
  if (!r->empty()) out = std::string(r->get(0, "role"));
  co_return out;
}

Task<Status> OrgRepository::set_role(const OrgActor& a, const std::string& user_id, const std::string& role) {
  db::Params p{a.organization_id, a.user_id, user_id, role, a.request_id};
  auto r = co_await db_.query(kSetRole, std::move(p));
  if (!r) co_return r.error();
  co_return ok_status();
}

Task<Status> OrgRepository::remove_member(const OrgActor& a, const std::string& user_id, const char* action) {
  db::Params p{a.organization_id, a.user_id, user_id, std::string(action), a.request_id};
  auto r = co_await db_.query(kRemoveMember, std::move(p));
  if (!r) co_return r.error();
  co_return ok_status();
}

Task<Status> OrgRepository::transfer(const OrgActor& a, const std::string& new_owner_id) {
  // Two statements in one transaction: the one-owner index needs the old owner demoted before the new one rises.
  auto tx = co_await db_.begin();
  if (!tx) co_return tx.error();
  db::Params d{a.organization_id, a.user_id};
  auto demoted = co_await tx->query(kDemoteOwner, std::move(d));
  if (!demoted) co_return demoted.error();
  if (demoted->empty())
    co_return Error::coded(ErrorCode::Forbidden, "ORGANIZATION_ROLE_FORBIDDEN",
                           "Only the owner can transfer ownership.");
  db::Params p{a.organization_id, new_owner_id, a.user_id, a.request_id};
  auto promoted = co_await tx->query(kPromoteOwner, std::move(p));
  if (!promoted) co_return promoted.error();
  if (promoted->empty()) co_return Error::coded(ErrorCode::NotFound, "MEMBER_NOT_FOUND", "No such member.");
  co_return co_await tx->commit();
}

Task<Result<InviteOutcome>> OrgRepository::invite(const OrgActor& a, const NewInvitation& inv,
                                                  const std::string& token) {
  auto tx = co_await db_.begin();
  if (!tx) co_return tx.error();
  db::Params lock{a.organization_id};
  auto locked = co_await tx->query(kLockOrganization, std::move(lock));
  if (!locked) co_return locked.error();
  db::Params cp{a.organization_id, inv.email, a.user_id};
  auto r = co_await tx->query(kInviteCheck, std::move(cp));
  if (!r) co_return r.error();
  if (r->empty()) co_return Error::coded(ErrorCode::NotFound, "ORGANIZATION_NOT_FOUND", "No such organization.");
  InviteOutcome out;
  InviteCheck& c = out.check;
  c.organization_name = std::string(r->get(0, "name"));
  c.inviter_name = std::string(r->get(0, "inviter"));
  c.personal = r->boolean(0, "personal");
  c.already_member = r->boolean(0, "already");
  c.pending = r->boolean(0, "pending");
  c.limit_reached = r->boolean(0, "is_full");
  if (c.personal || c.already_member || c.pending || c.limit_reached) {
    co_await tx->rollback();
    co_return out;
  }
  db::Params p{a.organization_id, a.user_id, inv.email, inv.role, inv.token_hash_hex, a.request_id};
  auto ins = co_await tx->query(kInvite, std::move(p));
  if (!ins) co_return ins.error();
  if (ins->empty()) {
    co_await tx->rollback();
    co_return out;
  }
  out.id = std::string(ins->get(0, 0));
  mail::OutgoingMail m;
  m.to = inv.email;
  m.tmpl = "invitation";
  m.payload = {
      {"token", token}, {"organization", c.organization_name}, {"inviter", c.inviter_name}, {"role", inv.role}};
  m.idempotency_key = "invitation:" + *out.id + ":1";
  db::Params mp = mail::enqueue_params(m);
  auto queued = co_await tx->query(mail::kEnqueueMail, std::move(mp));
  if (!queued) co_return queued.error();
  // Someone who already has an account also sees it in the bell (the invitation email itself always goes out).
  const nlohmann::json note = {{"invitationId", *out.id},
                               {"organization", c.organization_name},
                               {"inviter", c.inviter_name},
                               {"role", inv.role}};
  db::Params np{inv.email, a.organization_id, note.dump(), "invitation:" + *out.id};
  auto noted = co_await tx->query(kInvitationNotice, std::move(np));
  if (!noted) co_return noted.error();
  auto committed = co_await tx->commit();
  if (!committed) co_return committed.error();
  co_return out;
}

Task<Result<nlohmann::json>> OrgRepository::invitations(const std::string& organization_id) {
  db::Params p{organization_id};
  auto r = co_await db_.query(kInvitations, std::move(p));
  if (!r) co_return r.error();
  co_return nlohmann::json::parse(r->get(0, 0));
}

Task<Result<std::optional<std::string>>> OrgRepository::pending_invitation_role(const std::string& organization_id,
                                                                                const std::string& invitation_id) {
  db::Params p{organization_id, invitation_id};
  auto r = co_await db_.query(kPendingRole, std::move(p));
  if (!r) co_return r.error();
  std::optional<std::string> out;
  if (!r->empty()) out = std::string(r->get(0, "role"));
  co_return out;
}

Task<Result<bool>> OrgRepository::revoke_invitation(const OrgActor& a, const std::string& invitation_id) {
  db::Params p{a.organization_id, a.user_id, invitation_id, a.request_id};
  auto r = co_await db_.query(kRevoke, std::move(p));
  if (!r) co_return r.error();
  co_return !r->empty();
}

Task<Result<bool>> OrgRepository::resend_invitation(const OrgActor& a, const std::string& invitation_id,
                                                    const std::string& token_hash_hex, const std::string& token) {
  auto tx = co_await db_.begin();
  if (!tx) co_return tx.error();
  db::Params lock{a.organization_id};
  auto locked = co_await tx->query(kLockOrganization, std::move(lock));
  if (!locked) co_return locked.error();
  db::Params p{a.organization_id, a.user_id, invitation_id, token_hash_hex, a.request_id};
  auto r = co_await tx->query(kResend, std::move(p));
  if (!r) co_return r.error();
  if (r->empty()) {
    co_await tx->rollback();
    co_return false;
  }
  mail::OutgoingMail m;
  m.to = std::string(r->get(0, "email"));
  m.tmpl = "invitation";
  m.payload = {{"token", token},
               {"organization", std::string(r->get(0, "name"))},
               {"inviter", std::string(r->get(0, "inviter"))}};
  m.idempotency_key = "invitation:" + invitation_id + ":" + std::string(r->get(0, "send_count"));
  db::Params mp = mail::enqueue_params(m);
  auto queued = co_await tx->query(mail::kEnqueueMail, std::move(mp));
  if (!queued) co_return queued.error();
  auto c = co_await tx->commit();
  if (!c) co_return c.error();
  co_return true;
}

Task<Result<std::string>> OrgRepository::accept(const std::string& token_hash_hex, const std::string& user_id,
                                                const std::string& request_id) {
  auto tx = co_await db_.begin();
  if (!tx) co_return tx.error();
  db::Params p{token_hash_hex, user_id};
  auto r = co_await tx->query(kInvitationByToken, std::move(p));
  if (!r) co_return r.error();
  std::optional<Error> refused;
  if (r->empty() || r->boolean(0, "accepted") || r->boolean(0, "revoked") ||
      std::string_view(r->get(0, "org_status")) == "deleted")
    refused = Error::coded(ErrorCode::NotFound, "INVITATION_NOT_FOUND",
                           "This invitation link is not valid; ask for a new invitation.");
  else if (r->boolean(0, "expired"))
    refused = Error::coded(ErrorCode::Conflict, "INVITATION_EXPIRED", "This invitation expired; ask for a new one.");
  else if (!r->boolean(0, "same_address"))
    refused = Error::coded(ErrorCode::Forbidden, "INVITATION_EMAIL_MISMATCH",
                           "This invitation was sent to another address: sign in with that address to accept it.");
  if (!refused) {
    const std::string org(r->get(0, "org")), role(r->get(0, "role")), id(r->get(0, "id"));
    db::Params lock{org};
    auto locked = co_await tx->query(kLockOrganization, std::move(lock));
    if (!locked) co_return locked.error();
    db::Params ap{org, user_id, role, id, request_id};
    auto accepted = co_await tx->query(kAcceptInsert, std::move(ap));
    if (!accepted) co_return accepted.error();
    if (!accepted->boolean(0, "is_full")) {
      auto c = co_await tx->commit();
      if (!c) co_return c.error();
      co_return org;
    }
    refused = Error::coded(ErrorCode::Conflict, "MEMBER_LIMIT_REACHED",
                           "The organization has as many members as its plan allows.");
  }
  co_await tx->rollback();
  co_return *refused;
}

}  // namespace tg::orgs
