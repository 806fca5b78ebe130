#include "accounts/password.hpp"

#include <crypt.h>
#include <openssl/crypto.h>
#include <sodium.h>

#include <cstring>
#include <memory>

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

bool is_bcrypt(std::string_view encoded) {
  return encoded.size() == 60 && (encoded.rfind("$2a$", 0) == 0 || encoded.rfind("$2b$", 0) == 0 ||
                                  encoded.rfind("$2y$", 0) == 0);
}

namespace {
bool verify_bcrypt(std::string_view encoded, std::string_view password) {
  // bcrypt reads a C string: a password with a NUL byte would be silently truncated, so refuse it.
  if (password.find('\0') != std::string_view::npos) return false;
  const std::string pw(password), setting(encoded);
  auto data = std::make_unique<crypt_data>();  // ~32 KiB: keep it off the stack
  const char* out = crypt_rn(pw.c_str(), setting.c_str(), data.get(), sizeof(crypt_data));
  if (out == nullptr || std::strlen(out) != encoded.size()) return false;
  return CRYPTO_memcmp(out, encoded.data(), encoded.size()) == 0;
}
}  // namespace

bool needs_rehash(std::string_view encoded) {
  if (!ready() || encoded.size() >= crypto_pwhash_STRBYTES) return true;
  const std::string z(encoded);
  return crypto_pwhash_str_needs_rehash(z.c_str(), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0;
}

bool verify_password(std::string_view encoded, std::string_view password) {
  if (is_bcrypt(encoded)) return verify_bcrypt(encoded, password);
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
