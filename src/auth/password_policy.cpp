#include "auth/password_policy.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <iterator>

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

// Base words of breached passwords: "Password123!", "iloveyou2024" and "Dr@gon1234" reduce to one of these once
// digits and symbols are dropped and leetspeak is undone. This catches far more than any fixed list of whole
// passwords of 12+ characters could.
constexpr std::string_view kBaseWords[] = {"password",     "passwort",
                                           "passw",        "pass",
                                           "pwd",          "qwerty",
                                           "qwertz",       "azerty",
                                           "letmein",      "welcome",
                                           "iloveyou",     "loveyou",
                                           "admin",        "administrator",
                                           "root",         "login",
                                           "master",       "dragon",
                                           "monkey",       "football",
                                           "baseball",     "soccer",
                                           "hockey",       "basketball",
                                           "sunshine",     "princess",
                                           "shadow",       "michael",
                                           "jennifer",     "jordan",
                                           "superman",     "batman",
                                           "spiderman",    "starwars",
                                           "computer",     "whatever",
                                           "trustno",      "secret",
                                           "changeme",     "default",
                                           "test",         "testing",
                                           "guest",        "hello",
                                           "helloworld",   "freedom",
                                           "charlie",      "summer",
                                           "winter",       "spring",
                                           "autumn",       "love",
                                           "lovely",       "angel",
                                           "flower",       "cookie",
                                           "chocolate",    "pokemon",
                                           "naruto",       "samsung",
                                           "google",       "apple",
                                           "iphone",       "internet",
                                           "tollgate",     "abc",
                                           "abcd",         "abcde",
                                           "qwe",          "asdf",
                                           "zxcv",         "qaz",
                                           "qazwsx",       "qazwsxedc",
                                           "mustang",      "harley",
                                           "ranger",       "killer",
                                           "hunter",       "buster",
                                           "tigger",       "ginger",
                                           "pepper",       "maggie",
                                           "daniel",       "thomas",
                                           "robert",       "jessica",
                                           "ashley",       "matthew",
                                           "andrew",       "joshua",
                                           "nicole",       "hannah",
                                           "purple",       "orange",
                                           "banana",       "cheese",
                                           "access",       "mypassword",
                                           "yourpassword", "corvette",
                                           "ferrari",      "mercedes",
                                           "liverpool",    "arsenal",
                                           "chelsea",      "barcelona",
                                           "realmadrid",   "juventus",
                                           "yankees",      "cowboys",
                                           "lakers",       "matrix",
                                           "whatsup",      "fuckyou",
                                           "fuckoff",      "asshole",
                                           "qwertyuiop",   "asdfghjkl",
                                           "zxcvbnm",      "qwertyuiopasdfghjkl",
                                           "letmeinnow",   "welcomehome",
                                           "iloveu",       "ilove",
                                           "mylove",       "baby",
                                           "babygirl",     "family",
                                           "friends",      "jesus",
                                           "blessed",      "money",
                                           "london",       "paris",
                                           "berlin",       "america",
                                           "canada",       "india",
                                           "china",        "secure",
                                           "security",     "private",
                                           "user",         "username",
                                           "service",      "server",
                                           "database",     "api",
                                           "apikey",       "token",
                                           "stripe"};

// Keyboard rows, alphabet and digit runs: any 12+ character slice of these is a walk, not a password.
constexpr std::string_view kWalks[] = {"01234567890123456789012345", "98765432109876543210987654",
                                       "abcdefghijklmnopqrstuvwxyz", "zyxwvutsrqponmlkjihgfedcba",
                                       "qwertyuiopasdfghjklzxcvbnm", "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
                                       "qazwsxedcrfvtgbyhnujmikolp", "1q2w3e4r5t6y7u8i9o0p"};

char unleet(char c) {
  switch (c) {
    case '@':
    case '4': return 'a';
    case '0': return 'o';
    case '1':
    case '!':
    case '|': return 'i';
    case '3': return 'e';
    case '5':
    case '$': return 's';
    case '7':
    case '+': return 't';
    case '9': return 'g';
    default: return c;
  }
}

// True when `s` is a short unit (≤ 4 characters) repeated: "123123123123", "abcabcabcabc".
bool repeated_unit(const std::string& s) {
  for (std::size_t unit = 1; unit <= 4 && unit < s.size(); ++unit) {
    bool same = true;
    for (std::size_t i = unit; i < s.size() && same; ++i) same = s[i] == s[i % unit];
    if (same) return true;
  }
  return false;
}

bool base_word(const std::string& p) {
  // Letters left after trimming digits and symbols from both ends; leetspeak inside the word is undone.
  std::size_t b = 0, e = p.size();
  while (b < e && !std::isalpha(static_cast<unsigned char>(p[b]))) ++b;
  while (e > b && !std::isalpha(static_cast<unsigned char>(p[e - 1]))) --e;
  std::string core;
  for (std::size_t i = b; i < e; ++i) {
    const char c = unleet(p[i]);
    if (std::isalpha(static_cast<unsigned char>(c))) core += c;
  }
  if (core.empty()) return false;
  auto is_base = [](std::string_view w) {
    return std::find(std::begin(kBaseWords), std::end(kBaseWords), w) != std::end(kBaseWords);
  };
  if (is_base(core)) return true;
  // The same base word twice or more: "passwordpassword", "qwertyqwerty".
  for (const auto& w : kBaseWords) {
    if (core.size() % w.size() != 0 || core.size() == w.size()) continue;
    bool all = true;
    for (std::size_t i = 0; i < core.size() && all; i += w.size()) all = core.compare(i, w.size(), w) == 0;
    if (all) return true;
  }
  return false;
}

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
  if (repeated_unit(p)) return "is too easy to guess";
  for (const auto& walk : kWalks) {
    if (walk.find(p) != std::string_view::npos) return "is too easy to guess";
  }
  if (base_word(p)) return "is a common word with numbers or symbols added; choose another";
  if (!email.empty() && (p == lower(email) || p == lower(email.substr(0, email.find('@'))))) {
    return "must not be your email address";
  }
  return std::nullopt;
}

}  // namespace tg::auth
