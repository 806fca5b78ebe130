#pragma once
#include <boost/asio/thread_pool.hpp>

#include "auth/auth_repository.hpp"
#include "auth/jwt.hpp"

namespace tg::auth {

struct AuthSettings {
  int access_ttl_seconds = 900;
  int refresh_ttl_seconds = 7 * 24 * 3600;
  int max_failures = 5;  // failed logins within 15 minutes before the account locks
  int lock_seconds = 900;
};

struct AuthSuccess {
  UserRow user;
  std::string access_token;
  std::string refresh_token;  // raw; only its hash is stored
  int expires_in = 0;
};

struct RegisterInput {
  std::string email, password;
  std::optional<std::string> name, company;
};

// The rules of signing up, in and out. Passwords are hashed on `cpu` (argon2id takes tens of milliseconds and
// 64 MiB; it must not run on an I/O thread).
class AuthService {
 public:
  AuthService(AuthRepository& repo, const Jwt& jwt, const Clock& clock, asio::thread_pool& cpu, AuthSettings s);
  Task<Result<AuthSuccess>> register_user(const RegisterInput& in, const SessionMeta& meta);
  Task<Result<AuthSuccess>> login(const std::string& email, const std::string& password, const SessionMeta& meta);
  Task<Result<AuthSuccess>> refresh(const std::string& refresh_token, const SessionMeta& meta);
  Task<Status> logout(const std::string& refresh_token, const SessionMeta& meta);
  Task<Result<UserRow>> profile(const std::string& user_id);
  const AuthSettings& settings() const { return s_; }

 private:
  Task<Result<AuthSuccess>> start_session(UserRow user, const SessionMeta& meta);
  std::string access_token(const UserRow& user) const;
  AuthRepository& repo_;
  const Jwt& jwt_;
  const Clock& clock_;
  asio::thread_pool& cpu_;
  AuthSettings s_;
  std::string dummy_hash_;
};

std::string new_refresh_token();
std::string sha256_hex(std::string_view s);

}  // namespace tg::auth
