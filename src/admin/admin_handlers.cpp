#include "admin/admin_handlers.hpp"

#include <charconv>

#include "auth/auth_handlers.hpp"
#include "http/problem.hpp"

namespace tg::admin {
using http::Request;
using http::Response;

namespace {
std::optional<std::int64_t> parse_int(const std::string& s) {
  std::int64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}
}  // namespace

void register_routes(http::Router& router, auth::AuthService& auth) {
  router.add("GET", "/api/admin/audit-log", [&auth](Request& req) -> Task<Response> {
    const std::string user_id = req.user_id;
    auto admin = co_await auth.require_admin(user_id);
    if (!admin) co_return http::problem(admin.error(), req.request_id);
    Error bad = Error::of(ErrorCode::ValidationFailed, "One or more query parameters are invalid.");
    int limit = 50;
    if (auto l = req.query_param("limit")) {
      auto v = parse_int(*l);
      if (!v || *v < 1 || *v > 200) bad.fields.push_back({"limit", "must be an integer from 1 to 200"});
      else limit = static_cast<int>(*v);
    }
    std::optional<std::int64_t> before;
    if (auto b = req.query_param("before")) {
      before = parse_int(*b);
      if (!before || *before < 1) bad.fields.push_back({"before", "must be a cursor from nextCursor"});
    }
    std::string action = req.query_param("action").value_or("");
    if (action.size() > 100) bad.fields.push_back({"action", "must be at most 100 characters"});
    std::string filter_user = req.query_param("userId").value_or("");
    if (!filter_user.empty() && !auth::is_uuid(filter_user)) bad.fields.push_back({"userId", "must be a UUID"});
    if (!bad.fields.empty()) co_return http::problem(bad, req.request_id);
    auto page = co_await auth.repository().audit_page(limit, before, action, filter_user);
    if (!page) co_return http::problem(page.error(), req.request_id);
    Response res = Response::json(200, page.value());
    res.set("Cache-Control", "no-store");
    co_return res;
  });
}

}  // namespace tg::admin
