#pragma once
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/async.hpp"
#include "core/error.hpp"
#include "db/db.hpp"

namespace tg::notifications {

// The kinds a user can choose to get by email (in-app notifications are always kept).
const std::vector<std::string>& email_kinds();

// "Tell this user": SELECT tg_notify(user, organization, kind, payload, dedupe key, mail template or NULL, mail
// payload) — the in-app row once per dedupe key and, per the user's preferences, the email (migration 0012). Other
// domains call it inside their own transactions.
extern const db::Query kNotify;

class NotificationRepository {
 public:
  explicit NotificationRepository(db::Database& db) : db_(db) {}
  // Newest first, `limit` per page (cursor: the last item's id from nextCursor), with the unread count.
  Task<Result<nlohmann::json>> page(const std::string& user_id, int limit, const std::optional<std::string>& before,
                                    bool unread_only);
  // False when the notification is not this user's.
  Task<Result<bool>> mark_read(const std::string& user_id, const std::string& id);
  Task<Result<std::int64_t>> mark_all_read(const std::string& user_id);
  Task<Result<nlohmann::json>> preferences(const std::string& user_id);
  Task<Result<nlohmann::json>> set_preferences(const std::string& user_id, const nlohmann::json& email);
  // Keys that expire within 7 days: one notification (and email) per key, expiry and member who may manage keys.
  Task<Result<std::int64_t>> notify_expiring_keys();

 private:
  db::Database& db_;
};

}  // namespace tg::notifications
