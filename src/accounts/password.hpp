#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace tg::accounts {

// argon2id through libsodium, above OWASP's minimum (m=19 MiB, t=2): libsodium's INTERACTIVE limits are 64 MiB, t=2.
std::optional<std::string> hash_password(std::string_view password);
// Also accepts legacy bcrypt hashes ($2a$/$2b$/$2y$, libxcrypt) from systems migrating off the seed's Node stack.
bool verify_password(std::string_view encoded, std::string_view password);
bool is_bcrypt(std::string_view encoded);
// True for bcrypt and for argon2id below the current parameters: rehash after a successful login.
bool needs_rehash(std::string_view encoded);
// Printable random password for generated credentials (base64url, no padding).
std::string random_password(std::size_t bytes = 18);

}  // namespace tg::accounts
