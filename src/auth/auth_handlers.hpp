#pragma once
#include "auth/auth_service.hpp"
#include "http/router.hpp"

namespace tg::auth {

constexpr const char* kRefreshCookie = "__Host-tollgate_refresh";
constexpr const char* kSessionHintCookie = "tollgate_session";

// /api/auth/register, /login, /refresh, /logout and /api/user/profile.
void register_routes(http::Router& router, AuthService& service);

// Pipeline hook: a valid `Authorization: Bearer` access token identifies the caller (user, organization, role).
// Invalid tokens are ignored here; routes that need a user answer 401 themselves.
void identify(const Jwt& jwt, http::Request& req);

std::string cookie_value(const http::Request& req, std::string_view name);
nlohmann::json user_json(const UserRow& u);

// Shared by the auth, account and admin handlers.
SessionMeta meta_of(const http::Request& req);
std::string trim(const std::string& s);
bool is_uuid(std::string_view s);
// A path id as stored (UUIDs are compared and cached in lower case).
std::string lower_id(std::string_view s);
Error unauthorized();
std::string refresh_cookie(const std::string& token, int max_age);
// The refresh cookie plus a non-secret "a session exists" hint; an empty token clears both.
void set_session_cookies(http::Response& res, const std::string& token, int max_age);
http::Response auth_response(int status, const AuthSuccess& s, int refresh_ttl);

// /api/user/*: profile changes, password, email, sessions, two-factor, account deletion.
void register_account_routes(http::Router& router, AuthService& service);

}  // namespace tg::auth
