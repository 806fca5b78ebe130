#pragma once
#include <atomic>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "admin/admin_repository.hpp"
#include "core/error.hpp"

namespace tg::admin {

// Where this Tollgate answers, so the catalog cannot point the gateway back at itself.
struct SelfAddress {
  std::uint16_t port = 0;                                 // PORT
  const std::atomic<std::uint16_t>* listening = nullptr;  // the bound port, when PORT=0 let the OS choose
  std::string public_host;                                // host of PUBLIC_URL (lower case)
  std::uint16_t public_port = 0;                          // its port (80/443 when implied)
};

// Fills `out` from a JSON body (`base` holds the stored values for a PATCH) and gathers field errors: method,
// path pattern syntax, upstream URL (http(s), no credentials, query or fragment, not Tollgate itself), cost,
// limits, timeout.
void validate_endpoint(const nlohmann::json& body, const SelfAddress& self, EndpointInput& out,
                       std::vector<FieldError>& errors);

// Service-token scopes this version knows.
bool known_scope(const std::string& scope);

}  // namespace tg::admin
