#include "notifications/notification_repository.hpp"

#include "db/sql_macros.hpp"

namespace tg::notifications {
using nlohmann::json;

const db::Query kNotify{"notify", "SELECT tg_notify($1::uuid, $2::uuid, $3, $4::jsonb, $5, $6, $7::jsonb) AS created"};

namespace {
#define NOTIFICATION_JSON(n)                                                                                      \
  "jsonb_build_object('id', " n ".id, 'kind', " n ".kind, 'organizationId', " n ".organization_id, 'payload', " n \
  ".payload, 'read', " n ".read_at IS NOT NULL, 'createdAt', " SQL_TS(n ".created_at") ")"

// Cursor: created_at then id, both of the last item ($2 is that item's id).
const db::Query kPage{
    "notifications_page",
    "WITH c AS (SELECT created_at, id FROM notifications WHERE id = $2::uuid AND user_id = $1::uuid), "
    "p AS (SELECT n.* FROM notifications n WHERE n.user_id = $1::uuid AND (NOT $4::boolean OR n.read_at IS NULL) "
    "AND ($2::uuid IS NULL OR (n.created_at, n.id) < (SELECT c.created_at, c.id FROM c)) ORDER BY n.created_at "
    "DESC, n.id DESC LIMIT $3::int) "
    "SELECT COALESCE((SELECT jsonb_agg(" NOTIFICATION_JSON("p") " ORDER BY p.created_at DESC, p.id DESC) FROM p), "
    "'[]'::jsonb)::text AS items, (SELECT count(*) FROM notifications WHERE user_id = $1::uuid AND read_at IS NULL) "
    "AS unread"};
const db::Query kMarkRead{"notifications_mark_read",
                          "UPDATE notifications SET read_at = COALESCE(read_at, now()) WHERE id = $2::uuid AND "
                          "user_id = $1::uuid RETURNING id"};
const db::Query kMarkAll{"notifications_mark_all_read",
                         "WITH u AS (UPDATE notifications SET read_at = now() WHERE user_id = $1::uuid AND read_at IS "
                         "NULL RETURNING 1) SELECT count(*) AS n FROM u"};
const db::Query kPrefs{"notifications_prefs",
                       "SELECT COALESCE(notification_prefs -> 'email', '{}'::jsonb)::text AS email FROM users WHERE "
                       "id = $1::uuid"};
const db::Query kSetPrefs{"notifications_set_prefs",
                          "UPDATE users SET notification_prefs = jsonb_set(notification_prefs, '{email}', "
                          "COALESCE(notification_prefs -> 'email', '{}'::jsonb) || $2::jsonb) WHERE id = $1::uuid "
                          "RETURNING (notification_prefs -> 'email')::text AS email"};
// Recipients: the members who may manage keys (OWNER, ADMIN, MEMBER: docs/permissions.md) of the key's organization.
const db::Query kExpiring{
    "notifications_expiring_keys",
    "SELECT count(*) FILTER (WHERE tg_notify(m.user_id, k.organization_id, 'key_expiring', jsonb_build_object("
    "'keyId', k.id, 'name', k.name, 'prefix', k.prefix, 'expiresAt', " SQL_TS("k.expires_at") "), 'key_expiring:' "
    "|| k.id || ':' || (extract(epoch FROM k.expires_at))::bigint || ':' || m.user_id, 'key_expiring', "
    "jsonb_build_object('name', k.name, 'prefix', k.prefix, 'expiresAt', " SQL_TS("k.expires_at") ", "
    "'organization', o.name))) AS n FROM api_keys k JOIN organizations o ON o.id = k.organization_id AND o.status = "
    "'active' JOIN organization_members m ON m.organization_id = k.organization_id AND m.role IN ('OWNER', 'ADMIN', "
    "'MEMBER') WHERE k.status = 'active' AND k.expires_at > now() AND k.expires_at <= now() + interval '7 days' "
    "AND k.grace_ends_at IS NULL"};

json with_defaults(const json& stored) {
  json out = json::object();
  for (const auto& k : email_kinds()) {
    auto it = stored.find(k);
    out[k] = it == stored.end() || !it->is_boolean() || it->get<bool>();
  }
  return out;
}
}  // namespace

const std::vector<std::string>& email_kinds() {
  static const std::vector<std::string> kinds = {"quota_80",          "quota_100",    "payment_failed",
                                                 "payment_succeeded", "key_expiring", "new_sign_in"};
  return kinds;
}

Task<Result<json>> NotificationRepository::page(const std::string& user_id, int limit,
                                                const std::optional<std::string>& before, bool unread_only) {
  db::Params p{user_id, before ? db::Param(*before) : db::Param(), std::to_string(limit + 1),
               std::string(unread_only ? "true" : "false")};
  auto r = co_await db_.query(kPage, std::move(p));
  if (!r) co_return r.error();
  json items = json::parse(r->get(0, "items"));
  json out = {{"items", json::array()}, {"unread", r->integer(0, "unread")}, {"nextCursor", nullptr}};
  const int n = std::min<int>(static_cast<int>(items.size()), limit);
  for (int i = 0; i < n; ++i) out["items"].push_back(items[i]);
  if (static_cast<int>(items.size()) > limit && n > 0) out["nextCursor"] = out["items"].back()["id"];
  co_return out;
}

Task<Result<bool>> NotificationRepository::mark_read(const std::string& user_id, const std::string& id) {
  db::Params p{user_id, id};
  auto r = co_await db_.query(kMarkRead, std::move(p));
  if (!r) co_return r.error();
  co_return !r->empty();
}

Task<Result<std::int64_t>> NotificationRepository::mark_all_read(const std::string& user_id) {
  db::Params p{user_id};
  auto r = co_await db_.query(kMarkAll, std::move(p));
  if (!r) co_return r.error();
  co_return r->integer(0, "n");
}

Task<Result<json>> NotificationRepository::preferences(const std::string& user_id) {
  db::Params p{user_id};
  auto r = co_await db_.query(kPrefs, std::move(p));
  if (!r) co_return r.error();
  json stored = json::object();
  if (!r->empty()) stored = json::parse(r->get(0, "email"));
  json out = {{"email", with_defaults(stored)}};
  co_return out;
}

Task<Result<json>> NotificationRepository::set_preferences(const std::string& user_id, const json& email) {
  db::Params p{user_id, email.dump()};
  auto r = co_await db_.query(kSetPrefs, std::move(p));
  if (!r) co_return r.error();
  json stored = json::object();
  if (!r->empty()) stored = json::parse(r->get(0, "email"));
  json out = {{"email", with_defaults(stored)}};
  co_return out;
}

Task<Result<std::int64_t>> NotificationRepository::notify_expiring_keys() {
  db::Params none;
  auto r = co_await db_.query(kExpiring, std::move(none));
  if (!r) co_return r.error();
  co_return r->integer(0, "n");
}

}  // namespace tg::notifications
