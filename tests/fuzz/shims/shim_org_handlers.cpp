// src/orgs/org_handlers.cpp with its anonymous body checks exposed (see shims.hpp). org_scoped is public.
#include "orgs/org_handlers.cpp"  // NOLINT(bugprone-suspicious-include)

#include "shims.hpp"

namespace tg::fuzz {
bool orgs_plausible_email(const std::string& e) {
  return orgs::plausible_email(e);
}
bool orgs_valid_role(const std::string& r) {
  return orgs::valid_role(r);
}
}  // namespace tg::fuzz

TG_FUZZ_GC_ANCHOR(org_handlers)
