-- 0013_analytics: what the admin analytics answer from, so a dashboard read never scans users, audit_log or
-- usage_rollups of a large install. A job (src/analytics) refreshes yesterday and today every minute, and backfills
-- once after this migration; the API reads only these tables.

-- Rejections by reason, counted at ingest like the other rollup columns (a gateway/verify refusal is an event whose
-- code is not VALID).
ALTER TABLE usage_rollups
  ADD COLUMN rate_limited bigint NOT NULL DEFAULT 0 CHECK (rate_limited >= 0),
  ADD COLUMN quota_rejected bigint NOT NULL DEFAULT 0 CHECK (quota_rejected >= 0);

-- One number per UTC day and metric: signups, logins, active_organizations, requests, errors, server_errors,
-- rejected, rate_limited, quota_rejected, latency_sum_us, paid_conversions, churned, and 'revenue:<CUR>' (minor
-- units). Snapshots taken on the day they describe: 'mrr:<CUR>', 'paying_organizations', 'users_total'.
CREATE TABLE analytics_daily (
  day         date NOT NULL,
  metric      text NOT NULL CHECK (metric ~ '^[a-z_]+(:[A-Z]{3})?$'),
  value       bigint NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (day, metric)
);

-- Per organization and day (top organizations), and per endpoint and day (top endpoints). `top` marks a day's 100
-- busiest organizations: the top of a range is looked for among those (a few thousand rows even for a year, instead of
-- every organization of every day), then summed exactly per candidate.
CREATE TABLE analytics_org_daily (
  day              date NOT NULL,
  organization_id  uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  requests         bigint NOT NULL,
  errors           bigint NOT NULL,
  cost_units       bigint NOT NULL,
  top              boolean NOT NULL DEFAULT false,
  PRIMARY KEY (day, organization_id)
);
CREATE INDEX analytics_org_daily_org_idx ON analytics_org_daily (organization_id, day)
  INCLUDE (requests, errors, cost_units);
CREATE INDEX analytics_org_daily_top_idx ON analytics_org_daily (day) INCLUDE (organization_id, requests) WHERE top;

CREATE TABLE analytics_endpoint_daily (
  day             date NOT NULL,
  method          text NOT NULL,
  endpoint        text NOT NULL,
  requests        bigint NOT NULL,
  errors          bigint NOT NULL,
  latency_sum_us  bigint NOT NULL,
  PRIMARY KEY (day, method, endpoint)
);
