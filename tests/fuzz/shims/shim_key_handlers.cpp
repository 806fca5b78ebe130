// src/keys/key_handlers.cpp with its anonymous field helpers exposed (see shims.hpp).
#include "keys/key_handlers.cpp"  // NOLINT(bugprone-suspicious-include)

#include "shims.hpp"

namespace tg::fuzz {
std::optional<std::int64_t> keys_int_field(http::Validator& v, const nlohmann::json& body, const char* f,
                                           std::int64_t lo, std::int64_t hi, bool& present, bool nullable) {
  return keys::int_field(v, body, f, lo, hi, present, nullable);
}
std::optional<std::string> keys_metadata_field(http::Validator& v, const nlohmann::json& body) {
  return keys::metadata_field(v, body);
}
}  // namespace tg::fuzz

TG_FUZZ_GC_ANCHOR(key_handlers)
