#pragma once
// SQL fragments spliced into constant query strings (hence macros).

// A timestamp as RFC 3339 UTC (null stays null).
#define SQL_TS(x) "to_char(" x " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
// The subscription statuses that make a subscription the organization's current one (subscriptions_one_current_key).
#define CURRENT_STATUSES "('trialing', 'active', 'past_due', 'unpaid', 'paused')"
