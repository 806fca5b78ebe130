#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace tg::crypto {

// Authenticated encryption (XChaCha20-Poly1305, libsodium) of small secrets the server must read back, such as
// TOTP seeds. The key is derived from `key_material` and `context`, so one configured key serves several uses
// without reuse across them. Output: 24-byte nonce || ciphertext || 16-byte tag.
class SecretBox {
 public:
  SecretBox(std::string_view key_material, std::string_view context);
  std::string seal(std::string_view plain) const;
  std::optional<std::string> open(std::string_view sealed) const;

 private:
  unsigned char key_[32];
};

// URL-safe random token (base64url, no padding) of `bytes` random bytes.
std::string random_token(std::size_t bytes = 32);
bool constant_time_equal(std::string_view a, std::string_view b);
// Lower-case hex SHA-256: how tokens, keys and codes are stored and looked up.
std::string sha256_hex(std::string_view s);
// HMAC-SHA256 of `data` under `key`: the raw 32 bytes.
std::string hmac_sha256(std::string_view key, std::string_view data);

}  // namespace tg::crypto
