// API key format and checksum (src/keys/key_format.cpp): well_formed_key on arbitrary strings (what the gateway and
// POST /v1/keys/verify get from X-API-Key / Authorization before any cache or database look-up).
//
// The first byte picks a mode:
//   0 arbitrary string: when well_formed_key accepts it, the prefix, length, alphabet and the CRC-32 checksum are
//     recomputed here independently (zlib crc32, own base62) and must agree; checksum() of any body is 6 base62.
//   1 a generated key (generate_key) is well formed; changing any one character makes it malformed; the display
//     prefix and the stored SHA-256 are what the format says.
#include <fuzzer/FuzzedDataProvider.h>
#include <openssl/sha.h>
#include <zlib.h>

#include <algorithm>

#include "fuzz_common.hpp"
#include "keys/key_format.hpp"

namespace {
using namespace tg;

bool base62(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

std::string crc_base62(std::string_view body) {
  static constexpr char kDigits[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  std::uint64_t crc = crc32(0L, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()));
  std::string out(6, '0');
  for (int i = 5; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = kDigits[crc % 62];
    crc /= 62;
  }
  return out;
}

bool reference_well_formed(std::string_view key) {
  if (key.size() != 8 + keys::kKeyRandomChars + 6) return false;
  if (key.substr(0, 8) != "tg_live_" && key.substr(0, 8) != "tg_test_") return false;
  if (!std::all_of(key.begin() + 8, key.end(), base62)) return false;
  return crc_base62(key.substr(0, key.size() - 6)) == key.substr(key.size() - 6);
}

std::string sha256_hex_ref(std::string_view s) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), md);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : md) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 1) return 0;
  const std::string_view input = fuzz::as_view(data + 1, size - 1);
  if (data[0] % 2 == 0) {
    const bool ok = keys::well_formed_key(input);
    FUZZ_CHECK(ok == reference_well_formed(input), "well_formed_key=%d disagrees with the format for '%.*s'", ok,
               static_cast<int>(input.size()), input.data());
    const std::string sum = keys::checksum(input);
    FUZZ_CHECK(sum.size() == 6 && std::all_of(sum.begin(), sum.end(), base62) && sum == crc_base62(input),
               "checksum '%s' is not 6 base62 digits of CRC-32", sum.c_str());
    FUZZ_CHECK(keys::sha256_hex(input) == sha256_hex_ref(input), "sha256_hex differs from OpenSSL's");
    return 0;
  }
  FuzzedDataProvider fdp(data + 1, size - 1);
  const std::string env = fdp.ConsumeBool() ? "live" : "test";
  const keys::NewKey k = keys::generate_key(env);
  FUZZ_CHECK(keys::well_formed_key(k.secret), "generated key is not well formed: %s", k.secret.c_str());
  FUZZ_CHECK(k.secret.rfind("tg_" + env + "_", 0) == 0, "generated key has the wrong prefix");
  FUZZ_CHECK(k.prefix == k.secret.substr(0, keys::kPrefixChars), "display prefix is not the first 16 characters");
  FUZZ_CHECK(k.hash_hex == sha256_hex_ref(k.secret), "stored hash is not SHA-256 of the secret");
  std::string changed = k.secret;
  const std::size_t pos = fdp.ConsumeIntegralInRange<std::size_t>(0, changed.size() - 1);
  const char to = static_cast<char>(fdp.ConsumeIntegral<std::uint8_t>());
  if (changed[pos] != to) {
    changed[pos] = to;
    // CRC-32 detects every single-byte change, and 6 base62 digits hold any CRC-32 exactly: one change is refused.
    FUZZ_CHECK(!keys::well_formed_key(changed), "key with character %zu changed is still well formed: %s", pos,
               changed.c_str());
  }
  return 0;
}
