#include "keys/key_format.hpp"

#include <sodium.h>
#include <zlib.h>


namespace tg::keys {
namespace {
constexpr char kBase62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
bool is_base62(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}
}  // namespace

std::string random_base62(std::size_t n) {
  static const bool ready = sodium_init() >= 0;
  (void)ready;
  std::string out;
  out.reserve(n);
  for (std::size_t i = 0; i < n; ++i) out += kBase62[randombytes_uniform(62)];
  return out;
}

std::string checksum(std::string_view body) {
  std::uint32_t crc = static_cast<std::uint32_t>(
      crc32(0L, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size())));
  std::string out(6, '0');
  for (int i = 5; i >= 0; --i) {
    out[static_cast<std::size_t>(i)] = kBase62[crc % 62];
    crc /= 62;
  }
  return out;
}

NewKey generate_key(std::string_view environment) {
  const std::string body = "tg_" + std::string(environment) + "_" + random_base62(kKeyRandomChars);
  NewKey k;
  k.secret = body + checksum(body);
  k.prefix = k.secret.substr(0, kPrefixChars);
  k.hash_hex = sha256_hex(k.secret);
  return k;
}

bool well_formed_key(std::string_view key) {
  std::size_t head = 0;
  if (key.rfind("tg_live_", 0) == 0 || key.rfind("tg_test_", 0) == 0) head = 8;
  if (head == 0 || key.size() != head + kKeyRandomChars + 6) return false;
  for (std::size_t i = head; i < key.size(); ++i) {
    if (!is_base62(key[i])) return false;
  }
  const std::string_view body = key.substr(0, key.size() - 6);
  return checksum(body) == key.substr(key.size() - 6);
}

}  // namespace tg::keys
