#include "auth/auth_handlers.hpp"

#include "auth/password_policy.hpp"
#include "http/body.hpp"
#include "http/problem.hpp"

namespace tg::auth {
using http::Request;
using http::Response;

namespace {

SessionMeta meta_of(const Request& req) {
  const auto* ua = req.header("user-agent");
  return SessionMeta{ua ? *ua : "", req.client_ip, req.request_id};
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

std::string refresh_cookie(const std::string& token, int max_age) {
  // __Host-: Secure, Path=/ and no Domain, so no sibling host or path can plant or read it. Browsers treat
  // http://localhost as secure, so development works too.
  return std::string(kRefreshCookie) + "=" + token + "; Path=/; Max-Age=" + std::to_string(max_age) +
         "; HttpOnly; Secure; SameSite=Strict";
}

Response auth_response(int status, const AuthSuccess& s, int refresh_ttl) {
  nlohmann::json body = {{"user", user_json(s.user)},
                         {"accessToken", s.access_token},
                         {"tokenType", "Bearer"},
                         {"expiresIn", s.expires_in},
                         {"refreshToken", s.refresh_token}};
  if (s.user.personal_org) body["organizationId"] = *s.user.personal_org;
  Response r = Response::json(status, body);
  r.set("Cache-Control", "no-store");
  r.add("Set-Cookie", refresh_cookie(s.refresh_token, refresh_ttl));
  return r;
}

// Body {"refreshToken"} when there is a body, else the cookie.
Result<std::string> presented_refresh_token(const Request& req) {
  if (!req.body.empty()) {
    auto body = http::json_object_body(req, {"refreshToken"});
    if (!body) return body.error();
    http::Validator v(*body);
    auto token = v.string("refreshToken", false, 0, 256);
    if (!v.ok()) return v.error();
    if (!token.empty()) return token;
  }
  return cookie_value(req, kRefreshCookie);
}

Error unauthorized() {
  return Error::of(ErrorCode::Unauthorized, "Sign in and send the access token as a Bearer token.");
}

}  // namespace

std::string cookie_value(const Request& req, std::string_view name) {
  const auto* cookie = req.header("cookie");
  if (!cookie) return {};
  std::string_view rest = *cookie;
  while (!rest.empty()) {
    auto semi = rest.find(';');
    auto part = rest.substr(0, semi);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    auto eq = part.find('=');
    if (eq != std::string_view::npos && part.substr(0, eq) == name) return std::string(part.substr(eq + 1));
    if (semi == std::string_view::npos) break;
    rest.remove_prefix(semi + 1);
  }
  return {};
}

nlohmann::json user_json(const UserRow& u) {
  return {{"id", u.id},
          {"email", u.email},
          {"name", u.name ? nlohmann::json(*u.name) : nlohmann::json(nullptr)},
          {"company", u.company ? nlohmann::json(*u.company) : nlohmann::json(nullptr)},
          {"role", u.role},
          {"status", u.status},
          {"emailVerified", u.email_verified},
          {"twoFactorEnabled", u.two_factor},
          {"createdAt", u.created_at}};
}

void identify(const Jwt& jwt, Request& req) {
  const auto* auth = req.header("authorization");
  if (!auth || auth->size() < 8 || !http::iequals(std::string_view(*auth).substr(0, 7), "Bearer ")) return;
  auto claims = jwt.verify(std::string_view(*auth).substr(7), TokenType::access);
  if (!claims) return;
  req.user_id = claims->subject;
  req.account_id = claims->organization;
  req.role = claims->role;
}

void register_routes(http::Router& router, AuthService& service) {
  router.add("POST", "/api/auth/register", [&service](Request& req) -> Task<Response> {
    auto body = http::json_object_body(req, {"email", "password", "name", "company"});
    if (!body) co_return http::problem(body.error(), req.request_id);
    http::Validator v(*body);
    RegisterInput in;
    in.email = trim(v.string("email", true, 1, 254));
    in.password = v.string("password", true, 1, 256);
    auto name = trim(v.string("name", false, 0, 200));
    auto company = trim(v.string("company", false, 0, 200));
    if (!name.empty()) in.name = name;
    if (!company.empty()) in.company = company;
    if (!in.email.empty() && !valid_email(in.email)) v.fail("email", "is not a valid email address");
    if (!in.password.empty()) {
      if (auto why = password_problem(in.password, in.email)) v.fail("password", *why);
    }
    if (!v.ok()) co_return http::problem(v.error(), req.request_id);
    const SessionMeta meta = meta_of(req);
    auto r = co_await service.register_user(in, meta);
    if (!r) co_return http::problem(r.error(), req.request_id);
    req.user_id = r->user.id;
    co_return auth_response(201, r.value(), service.settings().refresh_ttl_seconds);
  });

  router.add("POST", "/api/auth/login", [&service](Request& req) -> Task<Response> {
    auto body = http::json_object_body(req, {"email", "password"});
    if (!body) co_return http::problem(body.error(), req.request_id);
    http::Validator v(*body);
    const std::string email = trim(v.string("email", true, 1, 254));
    const std::string password = v.string("password", true, 1, 256);
    if (!v.ok()) co_return http::problem(v.error(), req.request_id);
    const SessionMeta meta = meta_of(req);
    auto r = co_await service.login(email, password, meta);
    if (!r) co_return http::problem(r.error(), req.request_id);
    req.user_id = r->user.id;
    co_return auth_response(200, r.value(), service.settings().refresh_ttl_seconds);
  });

  router.add("POST", "/api/auth/refresh", [&service](Request& req) -> Task<Response> {
    auto token = presented_refresh_token(req);
    if (!token) co_return http::problem(token.error(), req.request_id);
    const SessionMeta meta = meta_of(req);
    auto r = co_await service.refresh(token.value(), meta);
    if (!r) {
      Response res = http::problem(r.error(), req.request_id);
      if (r.error().code == ErrorCode::Unauthorized) res.add("Set-Cookie", refresh_cookie("", 0));
      co_return res;
    }
    co_return auth_response(200, r.value(), service.settings().refresh_ttl_seconds);
  });

  router.add("POST", "/api/auth/logout", [&service](Request& req) -> Task<Response> {
    auto token = presented_refresh_token(req);
    if (!token) co_return http::problem(token.error(), req.request_id);
    const SessionMeta meta = meta_of(req);
    auto r = co_await service.logout(token.value(), meta);
    if (!r) co_return http::problem(r.error(), req.request_id);
    Response res = Response::empty(204);
    res.add("Set-Cookie", refresh_cookie("", 0));
    co_return res;
  });

  router.add("GET", "/api/user/profile", [&service](Request& req) -> Task<Response> {
    if (req.user_id.empty()) co_return http::problem(unauthorized(), req.request_id);
    const std::string user_id = req.user_id;
    auto r = co_await service.profile(user_id);
    if (!r) co_return http::problem(r.error(), req.request_id);
    Response res = Response::json(200, user_json(r.value()));
    res.set("Cache-Control", "no-store");
    co_return res;
  });
}

}  // namespace tg::auth
