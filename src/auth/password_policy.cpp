#include "auth/password_policy.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace tg::auth {
namespace {
// Passwords of 12+ characters that top public breach corpora; compared case-insensitively. A longer list belongs
// in a data file; this one catches what people actually type first.
constexpr std::array<std::string_view, 60> kCommon = {"123456789012",   "1234567890123",    "12345678901234",
                                                      "123456789123",   "password1234",     "password12345",
                                                      "password123456", "passwordpassword", "qwertyuiop123",
                                                      "qwertyuiopasdf", "qwerty123456",     "qwerty1234567",
                                                      "1q2w3e4r5t6y",   "1qaz2wsx3edc",     "1qaz2wsx3edc4rfv",
                                                      "zaq12wsxcde3",   "abcdefghijkl",     "abc123456789",
                                                      "abcd12345678",   "iloveyou1234",     "welcome12345",
                                                      "letmein12345",   "administrator",    "admin1234567",
                                                      "adminadmin123",  "changeme1234",     "trustno11234",
                                                      "football1234",   "baseball1234",     "superman1234",
                                                      "111111111111",   "000000000000",     "123123123123",
                                                      "121212121212",   "aaaaaaaaaaaa",     "987654321098",
                                                      "sunshine1234",   "princess1234",     "dragon123456",
                                                      "monkey123456",   "master123456",     "shadow123456",
                                                      "michael12345",   "jennifer1234",     "starwars1234",
                                                      "computer1234",   "whatever1234",     "qazwsxedcrfv",
                                                      "asdfghjkl123",   "zxcvbnm12345",     "mypassword12",
                                                      "mypassword123",  "secret123456",     "p@ssw0rd1234",
                                                      "passw0rd1234",   "password!234",     "correcthorsebatterystaple",
                                                      "tollgate1234",   "welcome2024!",     "summer2024!!"};

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}
}  // namespace

bool valid_email(std::string_view e) {
  if (e.size() < 3 || e.size() > 254) return false;
  auto at = e.find('@');
  if (at == std::string_view::npos || at == 0 || at != e.rfind('@') || at > 64) return false;
  auto domain = e.substr(at + 1);
  if (domain.size() < 3 || domain.find('.') == std::string_view::npos || domain.front() == '.' ||
      domain.back() == '.' || domain.find("..") != std::string_view::npos) {
    return false;
  }
  return std::none_of(e.begin(), e.end(), [](unsigned char c) { return c <= ' ' || c == 0x7f; });
}

std::optional<std::string> password_problem(std::string_view password, std::string_view email) {
  if (password.size() < 12) return "must be at least 12 characters";
  if (password.size() > 256) return "must be at most 256 characters";
  const std::string p = lower(password);
  if (std::find(kCommon.begin(), kCommon.end(), p) != kCommon.end()) return "is too common; choose another";
  if (std::all_of(p.begin(), p.end(), [&](char c) { return c == p[0]; })) return "is too easy to guess";
  if (!email.empty() && (p == lower(email) || p == lower(email.substr(0, email.find('@'))))) {
    return "must not be your email address";
  }
  return std::nullopt;
}

}  // namespace tg::auth
