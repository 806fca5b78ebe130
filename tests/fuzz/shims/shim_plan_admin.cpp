// src/billing/plan_admin.cpp as it is (validate_plan, plan_with_defaults, unit_decimal are public); compiled through
// a shim only for the GC anchor below (see shims.hpp).
#include "billing/plan_admin.cpp"  // NOLINT(bugprone-suspicious-include)

#include "shims.hpp"

TG_FUZZ_GC_ANCHOR(plan_admin)
