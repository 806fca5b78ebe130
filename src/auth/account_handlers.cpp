// /api/user/*: the signed-in user's own account. Thin: parse, validate, call the service, shape the answer.
#include "auth/auth_handlers.hpp"
#include "auth/password_policy.hpp"
#include "http/body.hpp"
#include "http/problem.hpp"

namespace tg::auth {
using http::Request;
using http::Response;

namespace {

Response no_store(Response r) {
  r.set("Cache-Control", "no-store");
  return r;
}

// A nullable string field of a PATCH: absent → untouched; null or "" → cleared.
void patch_field(http::Validator& v, const nlohmann::json& body, const char* field, std::size_t max, bool& set,
                 std::optional<std::string>& value) {
  auto it = body.find(field);
  if (it == body.end()) return;
  set = true;
  if (it->is_null()) return;
  std::string s = trim(v.string(field, false, 0, max));
  if (!s.empty()) value = s;
}

bool plausible_https_url(const std::string& s) {
  if (s.rfind("https://", 0) != 0 || s.size() <= 8) return false;
  for (unsigned char c : s) {
    if (c <= 0x20 || c == 0x7f || c == '"' || c == '<' || c == '>' || c == '\\') return false;
  }
  return true;
}

nlohmann::json codes_json(const std::vector<std::string>& codes) {
  return nlohmann::json{{"recoveryCodes", codes}};
}

}  // namespace

void register_account_routes(http::Router& router, AuthService& service) {
  router.add("PATCH", "/api/user/profile", [&service](Request& req) -> Task<Response> {
    if (req.user_id.empty()) co_return http::problem(unauthorized(), req.request_id);
    auto body = http::json_object_body(req, {"name", "company", "avatarUrl"});
    if (!body) co_return http::problem(body.error(), req.request_id);
    http::Validator v(*body);
    ProfileChange change;
    patch_field(v, *body, "name", 200, change.set_name, change.name);
    patch_field(v, *body, "company", 200, change.set_company, change.company);
    patch_field(v, *body, "avatarUrl", 2048, change.set_avatar, change.avatar_url);
    if (change.avatar_url && !plausible_https_url(*change.avatar_url)) {
      v.fail("avatarUrl", "must be an https:// URL");
    }
    if (!change.set_name && !change.set_company && !change.set_avatar) {
      v.fail("", "send at least one of name, company, avatarUrl");
    }
    if (!v.ok()) co_return http::problem(v.error(), req.request_id);
    const std::string user_id = req.user_id;
    const SessionMeta meta = meta_of(req);
    auto r = co_await service.update_profile(user_id, change, meta);
    if (!r) co_return http::problem(r.error(), req.request_id);
    co_return no_store(Response::json(200, user_json(r.value())));
  });

  router.add("POST", "/api/user/password", [&service](Request& req) -> Task<Response> {
    if (req.user_id.empty()) co_return http::problem(unauthorized(), req.request_id);
    auto body = http::json_object_body(req, {"currentPassword", "newPassword"});
    if (!body) co_return http::problem(body.error(), req.request_id);
    http::Validator v(*body);
    const std::string current = v.string("currentPassword", true, 1, 256);
    const std::string next = v.string("newPassword", true, 1, 256);
    if (!next.empty()) {
      if (auto why = password_problem(next, ""))
        v.fail("newPassword", *why);
      else if (next == current)
        v.fail("newPassword", "must differ from the current password");
    }
    if (!v.ok()) co_return http::problem(v.error(), req.request_id);
    const std::string user_id = req.user_id;
    const std::string session_id = req.session_id;
    const SessionMeta meta = meta_of(req);
    auto r = co_await service.change_password(user_id, current, next, session_id, meta);
    if (!r) co_return http::problem(r.error(), req.request_id);
    co_return Response::empty(204);
  });

  router.add("POST", "/api/user/email", [&service](Request& req) -> Task<Response> {
    if (req.user_id.empty()) co_return http::problem(unauthorized(), req.request_id);
    auto body = http::json_object_body(req, {"password", "newEmail"});
    if (!body) co_return http::problem(body.error(), req.request_id);
    http::Validator v(*body);
    const std::string password = v.string("password", true, 1, 256);
    const std::string email = trim(v.string("newEmail", true, 1, 254));
    if (!email.empty() && !valid_email(email)) v.fail("newEmail", "is not a valid email address");
    if (!v.ok()) co_return http::problem(v.error(), req.request_id);
    const std::string user_id = req.user_id;
    const SessionMeta meta = meta_of(req);
    auto r = co_await service.change_email(user_id, password, email, meta);
    if (!r) co_return http::problem(r.error(), req.request_id);
    Response res =
        Response::json(202, nlohmann::json{{"message", "Follow the link sent to the new address to finish."}});
    co_return no_store(std::move(res));
  });

  router.add("DELETE", "/api/user/account", [&service](Request& req) -> Task<Response> {
    if (req.user_id.empty()) co_return http::problem(unauthorized(), req.request_id);
    auto body = http::json_object_body(req, {"password", "confirmation"});
    if (!body) co_return http::problem(body.error(), req.request_id);
    http::Validator v(*body);
    const std::string password = v.string("password", true, 1, 256);
    const std::string confirmation = v.string("confirmation", true, 1, 32);
    if (!confirmation.empty() && confirmation != "DELETE") v.fail("confirmation", "type DELETE to confirm");
    if (!v.ok()) co_return http::problem(v.error(), req.request_id);
    const std::string user_id = req.user_id;
    const SessionMeta meta = meta_of(req);
    auto r = co_await service.delete_account(user_id, password, meta);
    if (!r) co_return http::problem(r.error(), req.request_id);
    Response res = Response::empty(204);
    set_session_cookies(res, "", 0);
    co_return res;
  });

  router.add("GET", "/api/user/sessions", [&service](Request& req) -> Task<Response> {
    if (req.user_id.empty()) co_return http::problem(unauthorized(), req.request_id);
    const std::string user_id = req.user_id;
    auto r = co_await service.sessions(user_id);
    if (!r) co_return http::problem(r.error(), req.request_id);
    nlohmann::json list = nlohmann::json::array();
    for (const auto& s : r.value()) {
      list.push_back({{"id", s.id},
                      {"userAgent", s.user_agent ? nlohmann::json(*s.user_agent) : nlohmann::json(nullptr)},
                      {"ip", s.ip ? nlohmann::json(*s.ip) : nlohmann::json(nullptr)},
                      {"createdAt", s.created_at},
                      {"lastUsedAt", s.last_used_at},
                      {"expiresAt", s.expires_at},
                      {"current", !req.session_id.empty() && s.id == req.session_id}});
    }
    co_return no_store(Response::json(200, nlohmann::json{{"sessions", list}}));
  });

  router.add("DELETE", "/api/user/sessions/{id}", [&service](Request& req) -> Task<Response> {
    if (req.user_id.empty()) co_return http::problem(unauthorized(), req.request_id);
    const std::string id(req.param("id"));
    if (!is_uuid(id)) co_return http::problem(Error::of(ErrorCode::NotFound, "No such session."), req.request_id);
    const std::string user_id = req.user_id;
    const SessionMeta meta = meta_of(req);
    auto r = co_await service.revoke_session(user_id, id, meta);
    if (!r) co_return http::problem(r.error(), req.request_id);
    co_return Response::empty(204);
  });

  router.add("GET", "/api/user/2fa", [&service](Request& req) -> Task<Response> {
    if (req.user_id.empty()) co_return http::problem(unauthorized(), req.request_id);
    const std::string user_id = req.user_id;
    auto r = co_await service.two_factor_status(user_id);
    if (!r) co_return http::problem(r.error(), req.request_id);
    const nlohmann::json out = {{"enabled", r->enabled},
                                {"pending", !r->enabled && r->sealed_secret.has_value()},
                                {"recoveryCodesRemaining", r->enabled ? r->recovery_remaining : 0}};
    co_return no_store(Response::json(200, out));
  });

  router.add("POST", "/api/user/2fa/setup", [&service](Request& req) -> Task<Response> {
    if (req.user_id.empty()) co_return http::problem(unauthorized(), req.request_id);
    auto body = http::json_object_body(req, {"password"});
    if (!body) co_return http::problem(body.error(), req.request_id);
    http::Validator v(*body);
    const std::string password = v.string("password", true, 1, 256);
    if (!v.ok()) co_return http::problem(v.error(), req.request_id);
    const std::string user_id = req.user_id;
    const SessionMeta meta = meta_of(req);
    auto r = co_await service.two_factor_setup(user_id, password, meta);
    if (!r) co_return http::problem(r.error(), req.request_id);
    const nlohmann::json out = {{"secret", r->secret_base32}, {"otpauthUri", r->otpauth_uri}};
    co_return no_store(Response::json(200, out));
  });

  router.add("POST", "/api/user/2fa/enable", [&service](Request& req) -> Task<Response> {
    if (req.user_id.empty()) co_return http::problem(unauthorized(), req.request_id);
    auto body = http::json_object_body(req, {"code"});
    if (!body) co_return http::problem(body.error(), req.request_id);
    http::Validator v(*body);
    const std::string code = v.string("code", true, 1, 32);
    if (!v.ok()) co_return http::problem(v.error(), req.request_id);
    const std::string user_id = req.user_id;
    const SessionMeta meta = meta_of(req);
    auto r = co_await service.two_factor_enable(user_id, code, meta);
    if (!r) co_return http::problem(r.error(), req.request_id);
    // This session just proved the second factor; the user's other sessions did not.
    const std::string session = req.session_id;
    auto marked = co_await service.mark_session_mfa_verified(session, user_id);
    if (!marked) co_return http::problem(marked.error(), req.request_id);
    co_return no_store(Response::json(200, codes_json(r.value())));
  });

  router.add("POST", "/api/user/2fa/disable", [&service](Request& req) -> Task<Response> {
    if (req.user_id.empty()) co_return http::problem(unauthorized(), req.request_id);
    auto body = http::json_object_body(req, {"password", "code"});
    if (!body) co_return http::problem(body.error(), req.request_id);
    http::Validator v(*body);
    const std::string password = v.string("password", true, 1, 256);
    const std::string code = v.string("code", true, 1, 32);
    if (!v.ok()) co_return http::problem(v.error(), req.request_id);
    const std::string user_id = req.user_id;
    const SessionMeta meta = meta_of(req);
    auto r = co_await service.two_factor_disable(user_id, password, code, meta);
    if (!r) co_return http::problem(r.error(), req.request_id);
    co_return Response::empty(204);
  });

  router.add("POST", "/api/user/2fa/recovery-codes", [&service](Request& req) -> Task<Response> {
    if (req.user_id.empty()) co_return http::problem(unauthorized(), req.request_id);
    auto body = http::json_object_body(req, {"code"});
    if (!body) co_return http::problem(body.error(), req.request_id);
    http::Validator v(*body);
    const std::string code = v.string("code", true, 1, 32);
    if (!v.ok()) co_return http::problem(v.error(), req.request_id);
    const std::string user_id = req.user_id;
    const SessionMeta meta = meta_of(req);
    auto r = co_await service.regenerate_recovery_codes(user_id, code, meta);
    if (!r) co_return http::problem(r.error(), req.request_id);
    co_return no_store(Response::json(200, codes_json(r.value())));
  });
}

}  // namespace tg::auth
