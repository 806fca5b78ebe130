#pragma once
#include <optional>
#include <string>
#include <string_view>

#include "core/crypto.hpp"

namespace tg::keys {

// tg_live_ / tg_test_ + 43 base62 characters of randomness (≈ 256 bits) + 6 base62 characters of CRC-32 over
// everything before them. The checksum lets secret scanners (and our own verify path) reject a string that is not
// a Tollgate key without touching the database.
struct NewKey {
  std::string secret;    // shown once
  std::string prefix;    // first 16 characters, kept for display
  std::string hash_hex;  // SHA-256 of the secret: what is stored
};

NewKey generate_key(std::string_view environment);  // "live" or "test"
// Shape and checksum only; says nothing about whether the key exists.
bool well_formed_key(std::string_view key);
std::string checksum(std::string_view body);  // 6 base62 characters
using crypto::sha256_hex;
// `n` random characters of 0-9A-Za-z (keys, service tokens).
std::string random_base62(std::size_t n);

constexpr std::size_t kKeyRandomChars = 43;
constexpr std::size_t kPrefixChars = 16;

}  // namespace tg::keys
