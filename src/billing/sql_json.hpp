#pragma once
#include "db/sql_macros.hpp"
// SQL fragments shared by the billing repository's files: one JSON shape per document, built in SQL so every
// answer that carries a plan agrees. Macros because they are spliced into constant query strings.

// A plan as the API shows it; money in minor units.
#define PLAN_JSON(p)                                                                                             \
  "jsonb_build_object('id', " p ".id, 'slug', " p ".slug, 'name', " p ".name, 'description', " p                 \
  ".description, "                                                                                               \
  "'type', " p ".type, 'currency', " p ".currency, 'priceMonthly', " p ".price_monthly_minor, 'priceAnnual', " p \
  ".price_annual_minor, 'includedUnits', " p ".included_units, 'overagePrice', " p                               \
  ".overage_price_minor, "                                                                                       \
  "'overageBlockUnits', " p ".overage_block_units, 'quotaPolicy', " p ".quota_policy, 'rateLimitPerMinute', " p  \
  ".rate_limit_per_minute, 'maxApiKeys', " p ".max_api_keys, 'maxMembers', " p ".max_members, 'features', " p    \
  ".features, 'trialDays', " p ".trial_days)"
