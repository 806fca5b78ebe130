#pragma once
#include <string>

#include "db/db.hpp"

namespace tg::accounts {

struct AdminRequest {
  std::string email;
  std::string password;  // already chosen (given or generated)
  bool only_if_none = false;
};
enum class AdminOutcome { created, already_exists };

// Creates an ADMIN user with a verified email, its personal organization and OWNER membership, plus an audit row,
// in one transaction. With only_if_none, does nothing when any admin exists (so `make run` can call it every time).
Task<Result<AdminOutcome>> create_admin(db::Database& db, const AdminRequest& req);

}  // namespace tg::accounts
