// src/auth/account_handlers.cpp with its anonymous PATCH helpers exposed (see shims.hpp).
#include "auth/account_handlers.cpp"  // NOLINT(bugprone-suspicious-include)

#include "shims.hpp"

namespace tg::fuzz {
void account_patch_field(http::Validator& v, const nlohmann::json& body, const char* field, std::size_t max,
                         bool& set, std::optional<std::string>& value) {
  auth::patch_field(v, body, field, max, set, value);
}
bool account_plausible_https_url(const std::string& s) {
  return auth::plausible_https_url(s);
}
}  // namespace tg::fuzz

TG_FUZZ_GC_ANCHOR(account_handlers)
