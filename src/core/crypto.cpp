#include "core/crypto.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <sodium.h>

#include <cstring>
#include <memory>

#include "core/hex.hpp"

namespace tg::crypto {
namespace {
bool ready() {
  static const bool ok = sodium_init() >= 0;
  return ok;
}
}  // namespace

SecretBox::SecretBox(std::string_view key_material, std::string_view context) {
  ready();
  crypto_generichash_state st;
  crypto_generichash_init(&st, nullptr, 0, sizeof key_);
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(context.data()), context.size());
  const unsigned char sep = 0;
  crypto_generichash_update(&st, &sep, 1);
  crypto_generichash_update(&st, reinterpret_cast<const unsigned char*>(key_material.data()), key_material.size());
  crypto_generichash_final(&st, key_, sizeof key_);
}

std::string SecretBox::seal(std::string_view plain) const {
  std::string out(
      crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + plain.size() + crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
  auto* nonce = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(nonce, crypto_aead_xchacha20poly1305_ietf_NPUBBYTES);
  unsigned long long len = 0;
  crypto_aead_xchacha20poly1305_ietf_encrypt(nonce + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES, &len,
                                             reinterpret_cast<const unsigned char*>(plain.data()), plain.size(),
                                             nullptr, 0, nullptr, nonce, key_);
  out.resize(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + len);
  return out;
}

std::optional<std::string> SecretBox::open(std::string_view sealed) const {
  constexpr std::size_t overhead =
      crypto_aead_xchacha20poly1305_ietf_NPUBBYTES + crypto_aead_xchacha20poly1305_ietf_ABYTES;
  if (sealed.size() < overhead) return std::nullopt;
  const auto* nonce = reinterpret_cast<const unsigned char*>(sealed.data());
  const auto* ct = nonce + crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  const std::size_t ct_len = sealed.size() - crypto_aead_xchacha20poly1305_ietf_NPUBBYTES;
  std::string plain(ct_len - crypto_aead_xchacha20poly1305_ietf_ABYTES, '\0');
  unsigned long long len = 0;
  if (crypto_aead_xchacha20poly1305_ietf_decrypt(reinterpret_cast<unsigned char*>(plain.data()), &len, nullptr, ct,
                                                 ct_len, nullptr, 0, nonce, key_) != 0) {
    return std::nullopt;
  }
  plain.resize(len);
  return plain;
}

std::string random_token(std::size_t bytes) {
  ready();
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  std::string out(sodium_base64_encoded_len(bytes, sodium_base64_VARIANT_URLSAFE_NO_PADDING), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(raw.data()), raw.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(std::strlen(out.c_str()));
  return out;
}

std::string sha256_hex(std::string_view s) {
  // Every verify and gateway call hashes its key (and the verify API its service token). OpenSSL 3's one-shot
  // SHA256() fetches the algorithm and allocates a context per call, which cost more than the hashing; the digest is
  // fetched once and each thread keeps one context.
  static EVP_MD* const md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
  struct CtxFree {
    void operator()(EVP_MD_CTX* c) const { EVP_MD_CTX_free(c); }
  };
  thread_local const std::unique_ptr<EVP_MD_CTX, CtxFree> ctx(EVP_MD_CTX_new());
  unsigned char out[SHA256_DIGEST_LENGTH];
  unsigned int len = 0;
  if (md && ctx && EVP_DigestInit_ex2(ctx.get(), md, nullptr) == 1 &&
      EVP_DigestUpdate(ctx.get(), s.data(), s.size()) == 1 && EVP_DigestFinal_ex(ctx.get(), out, &len) == 1 &&
      len == sizeof out) {
    return to_hex(out, sizeof out);
  }
  SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), out);
  return to_hex(out, sizeof out);
}

std::string hmac_sha256(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), out, &len);
  return std::string(reinterpret_cast<const char*>(out), len);
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace tg::crypto
