#include "accounts/password.hpp"

#include <sodium.h>

#include <cstring>

namespace tg::accounts {
namespace {
bool ready() {
  static const bool ok = sodium_init() >= 0;
  return ok;
}
}  // namespace

std::optional<std::string> hash_password(std::string_view password) {
  if (!ready()) return std::nullopt;
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                            crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0) {
    return std::nullopt;
  }
  return std::string(out);
}

bool verify_password(std::string_view encoded, std::string_view password) {
  if (!ready() || encoded.size() >= crypto_pwhash_STRBYTES) return false;
  std::string z(encoded);  // libsodium wants a NUL-terminated string
  return crypto_pwhash_str_verify(z.c_str(), password.data(), password.size()) == 0;
}

std::string random_password(std::size_t bytes) {
  ready();
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  std::string out(sodium_base64_encoded_len(bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(raw.data()), raw.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::strlen(out.c_str()));
  return out;
}

}  // namespace tg::accounts
