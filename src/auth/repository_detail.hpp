#pragma once
// Shared by the auth repository's source files; not part of its interface.
#include "auth/auth_repository.hpp"

namespace tg::auth::detail {

extern const db::Query kAudit;
extern const std::string kUserColumnsSql;
UserRow to_user(const db::Rows& r, int i);
db::Param ip_or_null(const std::string& ip);
db::Params audit_params(const std::optional<std::string>& user_id, const char* action, const char* outcome,
                        const SessionMeta& meta, const std::string& detail_json);
// Inserts the token (and its mail) inside `t`.
Task<Status> insert_token(db::Transaction& t, const TokenIssue& issue);

}  // namespace tg::auth::detail
