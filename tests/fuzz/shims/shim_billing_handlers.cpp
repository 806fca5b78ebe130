// src/billing/billing_handlers.cpp with plan_choice (checkout / preview / change bodies) exposed (see shims.hpp).
#include "billing/billing_handlers.cpp"  // NOLINT(bugprone-suspicious-include)

#include "shims.hpp"

namespace tg::fuzz {
Result<PlanChoiceView> billing_plan_choice(const http::Request& req) {
  auto c = billing::plan_choice(req);
  if (!c) return c.error();
  return PlanChoiceView{c->plan, c->interval, c->proration_date};
}
bool billing_payment_method_id(std::string_view id) {
  return billing::payment_method_id(id);
}
}  // namespace tg::fuzz

TG_FUZZ_GC_ANCHOR(billing_handlers)
