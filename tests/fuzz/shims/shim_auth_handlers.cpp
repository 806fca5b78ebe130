// src/auth/auth_handlers.cpp with its anonymous body helpers exposed (see shims.hpp).
#include "auth/auth_handlers.cpp"  // NOLINT(bugprone-suspicious-include)

#include "shims.hpp"

namespace tg::fuzz {
Result<std::string> auth_presented_refresh_token(const http::Request& req) {
  return auth::presented_refresh_token(req);
}
Result<std::string> auth_email_field(const http::Request& req) {
  return auth::email_field(req);
}
}  // namespace tg::fuzz

TG_FUZZ_GC_ANCHOR(auth_handlers)
