#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tg::auth {

// RFC 6238 TOTP (HMAC-SHA1, 6 digits, 30 s steps: what every authenticator app speaks), on liboath.
struct TotpMatch {
  std::int64_t step;  // the time step the code belongs to; store it so the same code is never accepted twice
};

std::string random_totp_secret();  // 20 random bytes (RFC 4226's recommended length)
std::string totp_code(std::string_view secret, std::int64_t unix_seconds);
// Accepts the current step and one on either side (clock drift), but only steps after `last_step`: a code cannot
// be replayed, even inside its own 30 s.
std::optional<TotpMatch> verify_totp(std::string_view secret, std::string_view code, std::int64_t unix_seconds,
                                     std::optional<std::int64_t> last_step);
std::string base32_encode(std::string_view bytes);
// otpauth://totp/Issuer:account?secret=...&issuer=...&algorithm=SHA1&digits=6&period=30
std::string otpauth_uri(std::string_view issuer, std::string_view account, std::string_view secret);

}  // namespace tg::auth
