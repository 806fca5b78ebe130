#pragma once
#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/error.hpp"

namespace tg::auth {

// Token kinds share one signing key, so the payload's `typ` keeps an MFA-pending token from ever passing as an
// access token (and vice versa).
enum class TokenType { access, mfa_pending };
const char* to_string(TokenType t);

struct Claims {
  std::string subject;       // user id
  std::string organization;  // active organization, may be empty
  std::string role;          // USER / ADMIN
  TokenType type = TokenType::access;
  std::int64_t issued_at = 0;   // seconds since the epoch
  std::int64_t not_before = 0;  // seconds since the epoch
  std::int64_t expires_at = 0;  // seconds since the epoch
  std::string id;               // jti
  std::string session;          // sid: the session family that issued it (marks "this device")
  // "View as customer": the impersonation (imp) and the administrator behind it (act). sid is then the
  // administrator's session family.
  std::string impersonation;
  std::string actor;
};

struct JwtSettings {
  std::string secret;
  std::string issuer = "tollgate";
  std::string audience = "tollgate-api";
};

// HS256 only, implemented on OpenSSL with the algorithm pinned: the header must say exactly HS256 (`none`, RS*, ES*
// and every other value are refused before any signature work), the signature is compared in constant time, and
// iss, aud, typ, exp and nbf are all checked. Debian's libjwt 1.10 lacks upstream's algorithm-confusion fixes,
// hence no library. Tokens longer than 4 KiB are refused unread.
class Jwt {
 public:
  Jwt(JwtSettings settings, const Clock& clock) : s_(std::move(settings)), clock_(clock) {}
  std::string sign(const Claims& claims) const;
  // Every failure is the same Unauthorized error: callers must not learn which check failed.
  Result<Claims> verify(std::string_view token, TokenType expected) const;

  static constexpr std::size_t kMaxTokenBytes = 4096;

 private:
  JwtSettings s_;
  const Clock& clock_;
};

std::string base64url_encode(std::string_view data);
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace tg::auth
