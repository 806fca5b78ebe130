#include "auth/auth_handlers.hpp"

#include "auth/password_policy.hpp"
#include "http/body.hpp"
#include "http/problem.hpp"

namespace tg::auth {
using http::Request;
using http::Response;

SessionMeta meta_of(const Request& req) {
  const auto* ua = req.header("user-agent");
  return SessionMeta{ua ? *ua : "", req.client_ip, req.request_id};
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t\r\n");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1);
}

bool is_uuid(std::string_view s) {
  if (s.size() != 36) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (s[i] != '-') return false;
    } else if (!std::isxdigit(static_cast<unsigned char>(s[i]))) {
      return false;
    }
  }
  return true;
}

std::string lower_id(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Error unauthorized() {
  return Error::of(ErrorCode::Unauthorized, "Sign in and send the access token as a Bearer token.");
}

std::string refresh_cookie(const std::string& token, int max_age) {
  // __Host-: Secure, Path=/ and no Domain, so no sibling host or path can plant or read it. Browsers treat
  // http://localhost as secure, so development works too.
  return std::string(kRefreshCookie) + "=" + token + "; Path=/; Max-Age=" + std::to_string(max_age) +
         "; HttpOnly; Secure; SameSite=Strict";
}

void set_session_cookies(Response& res, const std::string& token, int max_age) {
  res.add("Set-Cookie", refresh_cookie(token, max_age));
  // Not a secret and readable by scripts: tells the web app whether a silent refresh is worth trying, so
  // anonymous page loads make no doomed /api/auth/refresh call.
  res.add("Set-Cookie", std::string(kSessionHintCookie) + "=" + (token.empty() ? "" : "1") +
                            "; Path=/; Max-Age=" + std::to_string(max_age) + "; Secure; SameSite=Strict");
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
  set_session_cookies(r, s.refresh_token, refresh_ttl);
  return r;
}

namespace {

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

Response accepted(const char* message) {
  Response r = Response::json(202, nlohmann::json{{"message", message}});
  r.set("Cache-Control", "no-store");
  return r;
}

// {"email"} for the enumeration-safe mail endpoints.
Result<std::string> email_field(const Request& req) {
  auto body = http::json_object_body(req, {"email"});
  if (!body) return body.error();
  http::Validator v(*body);
  const std::string email = trim(v.string("email", true, 1, 254));
  // Checked after trimming: "   " passes the length check but is no address (found by fuzzing).
  if (v.ok() && !valid_email(email)) v.fail("email", "is not a valid email address");
  if (!v.ok()) return v.error();
  return email;
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
          {"avatarUrl", u.avatar_url ? nlohmann::json(*u.avatar_url) : nlohmann::json(nullptr)},
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
  req.session_id = claims->session;
  req.impersonation_id = claims->impersonation;
  req.impersonator_id = claims->actor;
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
    // Checked after trimming: "   " passes the length check but is no address (found by fuzzing).
    const bool blank = in.email.empty() && body->contains("email") && (*body)["email"].is_string() &&
                       !(*body)["email"].get_ref<const std::string&>().empty();
    if ((!in.email.empty() && !valid_email(in.email)) || blank) v.fail("email", "is not a valid email address");
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
    if (!r->mfa_token.empty()) {
      const nlohmann::json challenge = {
          {"mfaRequired", true}, {"mfaToken", r->mfa_token}, {"expiresIn", r->expires_in}};
      Response res = Response::json(200, challenge);
      res.set("Cache-Control", "no-store");
      co_return res;
    }
    co_return auth_response(200, r.value(), service.settings().refresh_ttl_seconds);
  });

  router.add("POST", "/api/auth/2fa/verify", [&service](Request& req) -> Task<Response> {
    auto body = http::json_object_body(req, {"mfaToken", "code"});
    if (!body) co_return http::problem(body.error(), req.request_id);
    http::Validator v(*body);
    const std::string token = v.string("mfaToken", true, 1, 256);
    const std::string code = v.string("code", true, 1, 32);
    if (!v.ok()) co_return http::problem(v.error(), req.request_id);
    const SessionMeta meta = meta_of(req);
    auto r = co_await service.verify_mfa_login(token, code, meta);
    if (!r) co_return http::problem(r.error(), req.request_id);
    req.user_id = r->user.id;
    co_return auth_response(200, r.value(), service.settings().refresh_ttl_seconds);
  });

  router.add("POST", "/api/auth/verify-email", [&service](Request& req) -> Task<Response> {
    auto body = http::json_object_body(req, {"token"});
    if (!body) co_return http::problem(body.error(), req.request_id);
    http::Validator v(*body);
    const std::string token = v.string("token", true, 1, 256);
    if (!v.ok()) co_return http::problem(v.error(), req.request_id);
    const SessionMeta meta = meta_of(req);
    auto r = co_await service.verify_email(token, meta);
    if (!r) co_return http::problem(r.error(), req.request_id);
    const nlohmann::json out = {{"verified", true}, {"email", r.value()}};
    co_return Response::json(200, out);
  });

  router.add("POST", "/api/auth/resend-verification", [&service](Request& req) -> Task<Response> {
    auto email = email_field(req);
    if (!email) co_return http::problem(email.error(), req.request_id);
    const SessionMeta meta = meta_of(req);
    auto r = co_await service.resend_verification(email.value(), meta);
    if (!r) co_return http::problem(r.error(), req.request_id);
    co_return accepted("If that address has an unverified account, a new verification email is on its way.");
  });

  router.add("POST", "/api/auth/forgot-password", [&service](Request& req) -> Task<Response> {
    auto email = email_field(req);
    if (!email) co_return http::problem(email.error(), req.request_id);
    const SessionMeta meta = meta_of(req);
    auto r = co_await service.forgot_password(email.value(), meta);
    if (!r) co_return http::problem(r.error(), req.request_id);
    co_return accepted("If that address has an account, an email with a reset link is on its way.");
  });

  router.add("POST", "/api/auth/reset-password", [&service](Request& req) -> Task<Response> {
    auto body = http::json_object_body(req, {"token", "password"});
    if (!body) co_return http::problem(body.error(), req.request_id);
    http::Validator v(*body);
    const std::string token = v.string("token", true, 1, 256);
    const std::string password = v.string("password", true, 1, 256);
    if (!password.empty()) {
      if (auto why = password_problem(password, "")) v.fail("password", *why);
    }
    if (!v.ok()) co_return http::problem(v.error(), req.request_id);
    const SessionMeta meta = meta_of(req);
    auto r = co_await service.reset_password(token, password, meta);
    if (!r) co_return http::problem(r.error(), req.request_id);
    Response res = Response::empty(204);
    set_session_cookies(res, "", 0);
    co_return res;
  });

  router.add("POST", "/api/auth/logout-all", [&service](Request& req) -> Task<Response> {
    if (req.user_id.empty()) co_return http::problem(unauthorized(), req.request_id);
    const std::string user_id = req.user_id;
    const SessionMeta meta = meta_of(req);
    auto r = co_await service.logout_all(user_id, meta);
    if (!r) co_return http::problem(r.error(), req.request_id);
    Response res = Response::empty(204);
    set_session_cookies(res, "", 0);
    co_return res;
  });

  router.add("POST", "/api/auth/refresh", [&service](Request& req) -> Task<Response> {
    auto token = presented_refresh_token(req);
    if (!token) co_return http::problem(token.error(), req.request_id);
    const SessionMeta meta = meta_of(req);
    auto r = co_await service.refresh(token.value(), meta);
    if (!r) {
      Response res = http::problem(r.error(), req.request_id);
      if (r.error().code == ErrorCode::Unauthorized) set_session_cookies(res, "", 0);
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
    set_session_cookies(res, "", 0);
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
