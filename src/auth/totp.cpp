#include "auth/totp.hpp"

#include <liboath/oath.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <cstdlib>

namespace tg::auth {
namespace {
constexpr unsigned kStep = 30;
constexpr unsigned kDigits = 6;

bool oath_ready() {
  static const bool ok = oath_init() == OATH_OK;
  return ok;
}

std::string pct(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || c == '@') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}
}  // namespace

std::string random_totp_secret() {
  std::string s(20, '\0');
  RAND_bytes(reinterpret_cast<unsigned char*>(s.data()), static_cast<int>(s.size()));
  return s;
}

std::string totp_code(std::string_view secret, std::int64_t unix_seconds) {
  if (!oath_ready()) return {};
  char out[kDigits + 1] = {};
  if (oath_totp_generate(secret.data(), secret.size(), static_cast<time_t>(unix_seconds), kStep, 0, kDigits, out) !=
      OATH_OK) {
    return {};
  }
  return out;
}

std::optional<TotpMatch> verify_totp(std::string_view secret, std::string_view code, std::int64_t unix_seconds,
                                     std::optional<std::int64_t> last_step) {
  if (code.size() != kDigits) return std::nullopt;
  for (char c : code) {
    if (c < '0' || c > '9') return std::nullopt;
  }
  const std::int64_t now_step = unix_seconds / kStep;
  std::optional<TotpMatch> found;
  // Check every candidate (no early exit) so timing does not tell which step matched.
  for (std::int64_t step = now_step - 1; step <= now_step + 1; ++step) {
    const std::string expected = totp_code(secret, step * kStep);
    if (expected.size() == kDigits && CRYPTO_memcmp(expected.data(), code.data(), kDigits) == 0 && !found) {
      found = TotpMatch{step};
    }
  }
  if (found && last_step && found->step <= *last_step) return std::nullopt;
  return found;
}

std::string base32_encode(std::string_view bytes) {
  if (!oath_ready()) return {};
  char* out = nullptr;
  size_t len = 0;
  if (oath_base32_encode(bytes.data(), bytes.size(), &out, &len) != OATH_OK) return {};
  std::string s(out, len);
  std::free(out);
  while (!s.empty() && s.back() == '=') s.pop_back();  // authenticator apps expect no padding
  return s;
}

std::string otpauth_uri(std::string_view issuer, std::string_view account, std::string_view secret) {
  return "otpauth://totp/" + pct(issuer) + ":" + pct(account) + "?secret=" + base32_encode(secret) +
         "&issuer=" + pct(issuer) + "&algorithm=SHA1&digits=6&period=30";
}

}  // namespace tg::auth
