#pragma once
#include <optional>
#include <string>
#include <string_view>

namespace tg::auth {

// NIST SP 800-63B style: length (12..256), no composition rules, refuse well-known passwords and the email itself.
// Returns the message for the `password` field, or nothing when acceptable.
std::optional<std::string> password_problem(std::string_view password, std::string_view email);
bool valid_email(std::string_view email);

}  // namespace tg::auth
