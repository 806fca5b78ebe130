// src/admin/admin_handlers.cpp with its anonymous body and query parsers exposed (see shims.hpp).
#include "admin/admin_handlers.cpp"  // NOLINT(bugprone-suspicious-include)

#include "shims.hpp"

namespace tg::fuzz {
Result<std::pair<nlohmann::json, std::string>> admin_body_with_reason(const http::Request& req, bool optional,
                                                                      std::initializer_list<std::string_view> extra) {
  return admin::body_with_reason(req, optional, extra);
}
std::string admin_take_reason(nlohmann::json& body, Error& bad) {
  return admin::take_reason(body, bad);
}
// GET /api/admin/users: the shared list filters, then role and verified (as the route does).
void admin_parse_user_list(const http::Request& req, admin::UserFilter& f, Error& bad) {
  admin::parse_list(req, f, bad);
  admin::one_of(req, "role", {"USER", "ADMIN"}, f.role, bad);
  admin::one_of(req, "verified", {"true", "false"}, f.verified, bad);
}
void admin_parse_org_list(const http::Request& req, admin::OrgFilter& f, Error& bad) {
  admin::parse_list(req, f, bad);
}
Result<admin::AuditFilter> admin_audit_filter(const http::Request& req, int max_limit) {
  return admin::audit_filter(req, max_limit);
}
std::optional<std::int64_t> admin_time_ms(const std::string& s) {
  return admin::time_ms(s);
}
Result<std::pair<std::string, std::string>> admin_subject(const std::string& kind, const std::string& raw) {
  return admin::subject(kind, raw);
}
}  // namespace tg::fuzz

TG_FUZZ_GC_ANCHOR(admin_handlers)
