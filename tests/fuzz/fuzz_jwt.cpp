// JWT (src/auth/jwt.cpp): Jwt::verify with a fixed secret and clock, base64url, and the property that nothing
// verifies unless it is correctly signed.
//
// The first byte picks a mode:
//   0 raw token: verify as access and as mfa_pending. Whatever verifies must carry an HS256 header and an
//     HMAC-SHA256 signature under the secret, recomputed here independently (OpenSSL HMAC + our own base64url
//     decoder), and claims that are valid at the fixed time.
//   1 signed header + payload: the input's header and payload JSON are signed here with the secret, so the fuzzer
//     reaches everything verify does after the signature (claims parsing, typ/iss/aud/exp/nbf checks). What
//     verifies must have alg exactly "HS256" and typ "JWT" or none.
//   2 sign → verify round trip of fuzzed claims, then one byte changed anywhere: must no longer verify.
//   3 base64url: decode(x) re-encodes to x (canonical), encode(y) decodes to y.
#include <fuzzer/FuzzedDataProvider.h>
#include <openssl/hmac.h>

#include <nlohmann/json.hpp>

#include "auth/jwt.hpp"
#include "fuzz_common.hpp"

namespace {
using namespace tg;

constexpr const char* kSecret = "fuzz-jwt-secret-0123456789abcdef0123456789";

// Independent of auth::base64url_decode: strict RFC 4648 §5, no padding, canonical trailing bits.
std::optional<std::string> b64url_decode_ref(std::string_view s) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
  };
  if (s.size() % 4 == 1) return std::nullopt;
  std::string out;
  for (std::size_t i = 0; i < s.size(); i += 4) {
    const std::size_t n = std::min<std::size_t>(4, s.size() - i);
    std::uint32_t acc = 0;
    for (std::size_t k = 0; k < 4; ++k) {
      int v = 0;
      if (k < n) {
        v = val(s[i + k]);
        if (v < 0) return std::nullopt;
      }
      acc = (acc << 6) | static_cast<std::uint32_t>(v);
    }
    const std::size_t bytes = n == 4 ? 3 : n - 1;
    if (n == 2 && (acc & 0xFFFF) != 0) return std::nullopt;
    if (n == 3 && (acc & 0xFF) != 0) return std::nullopt;
    for (std::size_t k = 0; k < bytes; ++k) out += static_cast<char>((acc >> (16 - 8 * k)) & 0xFF);
  }
  return out;
}

std::string hmac(std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), kSecret, static_cast<int>(std::strlen(kSecret)), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

const fuzz::FixedClock g_clock;
const auth::Jwt g_jwt(auth::JwtSettings{kSecret}, g_clock);
constexpr std::int64_t kNow = fuzz::FixedClock::kNowMs / 1000;

// What every successful verify must satisfy.
void check_verified(std::string_view token, const auth::Claims& c) {
  const auto d1 = token.find('.');
  const auto d2 = token.rfind('.');
  FUZZ_CHECK(d1 != std::string_view::npos && d2 != d1, "verified token without two dots");
  FUZZ_CHECK(token.find('.', d1 + 1) == d2, "verified token with more than two dots");
  const auto sig = b64url_decode_ref(token.substr(d2 + 1));
  FUZZ_CHECK(sig && *sig == hmac(token.substr(0, d2)), "verified a token whose signature is not HMAC-SHA256(secret)");
  const auto header = b64url_decode_ref(token.substr(0, d1));
  FUZZ_CHECK(header, "verified a token with a non-canonical header encoding");
  const auto h = nlohmann::json::parse(*header, nullptr, false);
  FUZZ_CHECK(h.is_object() && h.value("alg", nlohmann::json()) == "HS256", "verified a header without alg HS256: %s",
             header->c_str());
  FUZZ_CHECK(!h.contains("typ") || h["typ"] == "JWT", "verified typ %s", h["typ"].dump().c_str());
  FUZZ_CHECK(b64url_decode_ref(token.substr(d1 + 1, d2 - d1 - 1)), "verified a non-canonical payload encoding");
  FUZZ_CHECK(!c.subject.empty(), "verified without sub");
  FUZZ_CHECK(kNow < c.expires_at && kNow >= c.not_before, "verified outside [nbf, exp): nbf=%lld exp=%lld",
             static_cast<long long>(c.not_before), static_cast<long long>(c.expires_at));
}

void verify_both(std::string_view token) {
  for (auto type : {auth::TokenType::access, auth::TokenType::mfa_pending}) {
    auto r = g_jwt.verify(token, type);
    if (r) {
      check_verified(token, r.value());
      FUZZ_CHECK(r->type == type, "type mismatch");
    } else {
      FUZZ_CHECK(r.error().code == ErrorCode::Unauthorized, "verify failed with a non-401 error");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::uint8_t mode = data[0] % 4;
  FuzzedDataProvider fdp(data + 1, size - 1);
  switch (mode) {
    case 0: {
      verify_both(fuzz::as_view(data + 1, size - 1));
      break;
    }
    case 1: {
      const std::string header = fdp.ConsumeRandomLengthString(512);
      const std::string payload = fdp.ConsumeRemainingBytesAsString();
      const std::string input = auth::base64url_encode(header) + "." + auth::base64url_encode(payload);
      const std::string token = input + "." + auth::base64url_encode(hmac(input));
      verify_both(token);
      break;
    }
    case 2: {
      auth::Claims c;
      c.subject = fdp.ConsumeRandomLengthString(64);
      c.organization = fdp.ConsumeRandomLengthString(64);
      c.role = fdp.ConsumeRandomLengthString(16);
      c.type = fdp.ConsumeBool() ? auth::TokenType::access : auth::TokenType::mfa_pending;
      c.issued_at = fdp.ConsumeIntegral<std::int64_t>();
      c.not_before = fdp.ConsumeBool() ? kNow - fdp.ConsumeIntegralInRange<std::int64_t>(0, 1000)
                                       : fdp.ConsumeIntegral<std::int64_t>();
      c.expires_at = fdp.ConsumeBool() ? kNow + fdp.ConsumeIntegralInRange<std::int64_t>(-10, 1000)
                                       : fdp.ConsumeIntegral<std::int64_t>();
      c.id = fdp.ConsumeRandomLengthString(40);
      c.session = fdp.ConsumeRandomLengthString(40);
      c.impersonation = fdp.ConsumeRandomLengthString(40);
      c.actor = fdp.ConsumeRandomLengthString(40);
      std::string token;
      try {
        token = g_jwt.sign(c);
      } catch (const nlohmann::json::exception&) {
        break;  // claims that are not UTF-8: sign() only ever gets ids and roles from the database
      }
      auto r = g_jwt.verify(token, c.type);
      const bool should = !c.subject.empty() && kNow < c.expires_at && kNow >= c.not_before &&
                          token.size() <= auth::Jwt::kMaxTokenBytes;
      FUZZ_CHECK(bool(r) == should, "round trip: verify=%d expected=%d token=%s", bool(r), should, token.c_str());
      if (r) {
        check_verified(token, r.value());
        FUZZ_CHECK(r->subject == c.subject && r->organization == c.organization && r->role == c.role &&
                       r->session == c.session && r->impersonation == c.impersonation && r->actor == c.actor &&
                       r->id == c.id && r->issued_at == c.issued_at,
                   "claims changed in the round trip");
        FUZZ_CHECK(!g_jwt.verify(token, c.type == auth::TokenType::access ? auth::TokenType::mfa_pending
                                                                            : auth::TokenType::access),
                   "a token verified as the other type");
        std::string tampered = token;
        const std::size_t pos = fdp.ConsumeIntegralInRange<std::size_t>(0, tampered.size() - 1);
        const char to = static_cast<char>(fdp.ConsumeIntegral<std::uint8_t>());
        if (tampered[pos] != to) {
          tampered[pos] = to;
          FUZZ_CHECK(!g_jwt.verify(tampered, c.type), "a token with byte %zu changed still verifies: %s", pos,
                     tampered.c_str());
        }
      }
      break;
    }
    case 3: {
      const std::string_view text = fuzz::as_view(data + 1, size - 1);
      const auto mine = auth::base64url_decode(text);
      const auto ref = b64url_decode_ref(text);
      FUZZ_CHECK(mine.has_value() == ref.has_value() && (!mine || *mine == *ref), "base64url_decode disagrees");
      if (mine) FUZZ_CHECK(auth::base64url_encode(*mine) == text, "decode is not canonical");
      const std::string enc = auth::base64url_encode(text);
      const auto back = auth::base64url_decode(enc);
      FUZZ_CHECK(back && *back == text, "encode/decode round trip failed");
      break;
    }
  }
  return 0;
}
