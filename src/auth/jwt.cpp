#include "auth/jwt.hpp"
#include "core/crypto.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>

namespace tg::auth {
namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

using crypto::hmac_sha256;

Error unauthorized() {
  return Error::of(ErrorCode::Unauthorized, "The access token is missing, invalid or expired.");
}

// The one header we issue; anything else in a presented token's header is checked field by field below.
const std::string& header_segment() {
  static const std::string h = base64url_encode(R"({"alg":"HS256","typ":"JWT"})");
  return h;
}

}  // namespace

const char* to_string(TokenType t) {
  return t == TokenType::access ? "access" : "mfa_pending";
}

std::string base64url_encode(std::string_view data) {
  std::string out;
  out.reserve((data.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < data.size(); i += 3) {
    std::uint32_t n = (static_cast<unsigned char>(data[i]) << 16) | (static_cast<unsigned char>(data[i + 1]) << 8) |
                      static_cast<unsigned char>(data[i + 2]);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (i + 1 == data.size()) {
    std::uint32_t n = static_cast<unsigned char>(data[i]) << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
  } else if (i + 2 == data.size()) {
    std::uint32_t n = (static_cast<unsigned char>(data[i]) << 16) | (static_cast<unsigned char>(data[i + 1]) << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
  }
  return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return std::nullopt;
  std::string out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t buf = 0;
  int bits = 0;
  for (char c : text) {
    int v;
    if (c >= 'A' && c <= 'Z')
      v = c - 'A';
    else if (c >= 'a' && c <= 'z')
      v = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      v = c - '0' + 52;
    else if (c == '-')
      v = 62;
    else if (c == '_')
      v = 63;
    else
      return std::nullopt;  // no padding, no standard alphabet, no whitespace
    buf = (buf << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((buf >> bits) & 0xFF);
    }
  }
  // Non-canonical trailing bits would let two encodings verify as one token.
  if (bits > 0 && (buf & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::string Jwt::sign(const Claims& c) const {
  nlohmann::json p = {{"iss", s_.issuer},   {"aud", s_.audience},  {"sub", c.subject},    {"typ", to_string(c.type)},
                      {"iat", c.issued_at}, {"nbf", c.not_before}, {"exp", c.expires_at}, {"jti", c.id}};
  if (!c.organization.empty()) p["org"] = c.organization;
  if (!c.role.empty()) p["role"] = c.role;
  if (!c.session.empty()) p["sid"] = c.session;
  if (!c.impersonation.empty()) p["imp"] = c.impersonation;
  if (!c.actor.empty()) p["act"] = c.actor;
  std::string signing_input = header_segment() + "." + base64url_encode(p.dump());
  return signing_input + "." + base64url_encode(hmac_sha256(s_.secret, signing_input));
}

Result<Claims> Jwt::verify(std::string_view token, TokenType expected) const {
  if (token.empty() || token.size() > kMaxTokenBytes) return unauthorized();
  const auto d1 = token.find('.');
  if (d1 == std::string_view::npos) return unauthorized();
  const auto d2 = token.find('.', d1 + 1);
  if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos) return unauthorized();
  const auto header_b64 = token.substr(0, d1);
  const auto payload_b64 = token.substr(d1 + 1, d2 - d1 - 1);
  const auto sig_b64 = token.substr(d2 + 1);
  if (sig_b64.empty()) return unauthorized();

  // Algorithm pinned before anything else is trusted.
  auto header_raw = base64url_decode(header_b64);
  if (!header_raw) return unauthorized();
  auto header = nlohmann::json::parse(*header_raw, nullptr, false);
  if (!header.is_object()) return unauthorized();
  auto alg = header.find("alg");
  if (alg == header.end() || !alg->is_string() || alg->get_ref<const std::string&>() != "HS256") return unauthorized();
  if (auto typ = header.find("typ"); typ != header.end() && (!typ->is_string() || *typ != "JWT")) return unauthorized();
  if (header.contains("crit") || header.contains("jku") || header.contains("jwk") || header.contains("x5u")) {
    return unauthorized();
  }

  auto sig = base64url_decode(sig_b64);
  if (!sig || sig->size() != 32) return unauthorized();
  const std::string expected_sig = hmac_sha256(s_.secret, token.substr(0, d2));
  if (CRYPTO_memcmp(sig->data(), expected_sig.data(), 32) != 0) return unauthorized();

  auto payload_raw = base64url_decode(payload_b64);
  if (!payload_raw) return unauthorized();
  auto p = nlohmann::json::parse(*payload_raw, nullptr, false);
  if (!p.is_object()) return unauthorized();
  auto str = [&](const char* k) -> std::optional<std::string> {
    auto it = p.find(k);
    if (it == p.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  auto num = [&](const char* k) -> std::optional<std::int64_t> {
    auto it = p.find(k);
    if (it == p.end() || !it->is_number_integer()) return std::nullopt;
    return it->get<std::int64_t>();
  };
  auto iss = str("iss"), aud = str("aud"), sub = str("sub"), typ = str("typ");
  auto exp = num("exp"), nbf = num("nbf"), iat = num("iat");
  if (!iss || *iss != s_.issuer || !aud || *aud != s_.audience || !sub || sub->empty()) return unauthorized();
  if (!typ || *typ != to_string(expected)) return unauthorized();
  if (!exp || !nbf || !iat) return unauthorized();
  const std::int64_t now = clock_.now_ms() / 1000;
  if (now >= *exp || now < *nbf) return unauthorized();

  Claims c;
  c.subject = *sub;
  c.type = expected;
  c.expires_at = *exp;
  c.not_before = *nbf;
  c.issued_at = *iat;
  c.organization = str("org").value_or("");
  c.role = str("role").value_or("");
  c.session = str("sid").value_or("");
  c.impersonation = str("imp").value_or("");
  c.actor = str("act").value_or("");
  c.id = str("jti").value_or("");
  return c;
}

}  // namespace tg::auth
