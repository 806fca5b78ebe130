// src/usage/usage_handlers.cpp with its anonymous query parsers and CSV quoting exposed (see shims.hpp).
#include "usage/usage_handlers.cpp"  // NOLINT(bugprone-suspicious-include)

#include "shims.hpp"

namespace tg::fuzz {
Result<RangeView> usage_range_of(const http::Request& req, std::int64_t now, std::int64_t max_days) {
  auto r = usage::range_of(req, now, max_days);
  if (!r) return r.error();
  return RangeView{r->from_ms, r->to_ms};
}
Result<std::string> usage_key_filter(const http::Request& req) {
  return usage::key_filter(req);
}
std::int64_t usage_floor_to(std::int64_t ms, std::int64_t unit) {
  return usage::floor_to(ms, unit);
}
std::int64_t usage_ceil_to(std::int64_t ms, std::int64_t unit) {
  return usage::ceil_to(ms, unit);
}
std::vector<std::string> usage_range_params(const std::string& org, std::int64_t from, std::int64_t to,
                                            const std::string& key) {
  std::vector<std::string> out;
  for (const auto& p : usage::range_params(org, from, to, key)) out.push_back(p.value_or("<null>"));
  return out;
}
std::string usage_csv_field(std::string_view s) {
  return csv_field(s, false);  // the usage export's quoting (core/csv.hpp)
}
}  // namespace tg::fuzz

TG_FUZZ_GC_ANCHOR(usage_handlers)
