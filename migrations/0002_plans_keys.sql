-- 0002_plans_keys: plans, subscriptions, api_keys, service_tokens, api_endpoints (gateway catalog).

-- ---------------------------------------------------------------------------------------------
-- plans
-- Money: integer minor units of `currency` (USD cents for the seeded plans).
-- Overage pricing supports sub-cent unit prices without decimals: overage costs
-- overage_price_minor per overage_block_units units (e.g. 50 per 1000 = $0.0005 per call).
-- Overage amount for N units, rounded half up once per invoice line:
--   (N * overage_price_minor + overage_block_units / 2) / overage_block_units   (integer division)
-- Stripe mapping: Price.unit_amount_decimal = overage_price_minor / overage_block_units.
-- ---------------------------------------------------------------------------------------------
CREATE TABLE plans (
  id                        uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug                      text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
  name                      text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
  description               text NOT NULL DEFAULT '',
  type                      text NOT NULL CHECK (type IN ('SUBSCRIPTION', 'PAY_AS_YOU_GO', 'HYBRID')),
  currency                  char(3) NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
  price_monthly_minor       bigint NOT NULL DEFAULT 0 CHECK (price_monthly_minor >= 0),
  price_annual_minor        bigint CHECK (price_annual_minor IS NULL OR price_annual_minor >= 0), -- NULL: no annual option
  included_units            bigint NOT NULL DEFAULT 0 CHECK (included_units >= 0),             -- per billing month
  overage_price_minor       bigint NOT NULL DEFAULT 0 CHECK (overage_price_minor >= 0),
  overage_block_units       bigint NOT NULL DEFAULT 1000 CHECK (overage_block_units > 0),
  quota_policy              text NOT NULL DEFAULT 'hard_cap' CHECK (quota_policy IN ('hard_cap', 'allow_overage')),
  rate_limit_per_minute     integer NOT NULL CHECK (rate_limit_per_minute > 0),
  rate_limit_burst          integer CHECK (rate_limit_burst IS NULL OR rate_limit_burst > 0),        -- NULL: = per-minute limit
  max_api_keys              integer CHECK (max_api_keys IS NULL OR max_api_keys >= 0),               -- NULL: unlimited
  max_members               integer CHECK (max_members IS NULL OR max_members >= 1),                 -- NULL: unlimited
  features                  jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(features) = 'object'),
  status                    text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
  is_public                 boolean NOT NULL DEFAULT true,   -- false: hidden from /api/plans (comped/custom plans)
  display_order             integer NOT NULL DEFAULT 0,
  trial_days                integer NOT NULL DEFAULT 0 CHECK (trial_days BETWEEN 0 AND 730),
  stripe_product_id         text UNIQUE,
  stripe_price_monthly_id   text UNIQUE,
  stripe_price_annual_id    text UNIQUE,
  stripe_price_metered_id   text UNIQUE,
  stripe_meter_id           text UNIQUE,
  stripe_synced_at          timestamptz,
  created_at                timestamptz NOT NULL DEFAULT now(),
  updated_at                timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT plans_payg_allows_overage CHECK (type <> 'PAY_AS_YOU_GO' OR quota_policy = 'allow_overage')
);
CREATE INDEX plans_catalog_idx ON plans (status, display_order);
CREATE TRIGGER plans_set_updated_at BEFORE UPDATE ON plans
  FOR EACH ROW EXECUTE FUNCTION tg_set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- subscriptions: one current subscription per organization (Free included; local or Stripe).
-- status mirrors Stripe's subscription statuses; local mode uses 'active'/'trialing'/'canceled'.
-- ---------------------------------------------------------------------------------------------
CREATE TABLE subscriptions (
  id                            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id               uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  plan_id                       uuid NOT NULL REFERENCES plans (id) ON DELETE RESTRICT,
  status                        text NOT NULL DEFAULT 'active' CHECK (status IN
                                  ('incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due',
                                   'canceled', 'unpaid', 'paused')),
  source                        text NOT NULL DEFAULT 'local' CHECK (source IN ('local', 'stripe', 'manual')), -- manual: comped by an admin
  billing_interval              text NOT NULL DEFAULT 'month' CHECK (billing_interval IN ('month', 'year')),
  current_period_start          timestamptz NOT NULL,
  current_period_end            timestamptz NOT NULL,
  cancel_at_period_end          boolean NOT NULL DEFAULT false,
  canceled_at                   timestamptz,
  ended_at                      timestamptz,
  trial_start                   timestamptz,
  trial_end                     timestamptz,
  -- Dunning: set when the subscription first becomes past_due; metered access is refused with
  -- PAYMENT_REQUIRED once now() > payment_grace_ends_at. Cleared when paid.
  past_due_since                timestamptz,
  payment_grace_ends_at         timestamptz,
  stripe_subscription_id        text UNIQUE,
  stripe_subscription_item_id   text UNIQUE,   -- metered item, when the plan has one
  stripe_price_id               text,
  -- Stripe object's `created` / event time of the last applied state, so out-of-order webhooks
  -- never overwrite newer state.
  stripe_state_at               timestamptz,
  metadata                      jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
  created_at                    timestamptz NOT NULL DEFAULT now(),
  updated_at                    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT subscriptions_period_order CHECK (current_period_end > current_period_start),
  CONSTRAINT subscriptions_stripe_id_when_stripe CHECK (source <> 'stripe' OR stripe_subscription_id IS NOT NULL)
);
-- The "current" subscription of an organization. Switching plans via a new Stripe subscription:
-- end the old row (status 'canceled', ended_at) and insert the new one in the same transaction.
CREATE UNIQUE INDEX subscriptions_one_current_key ON subscriptions (organization_id)
  WHERE status IN ('trialing', 'active', 'past_due', 'unpaid', 'paused');
CREATE INDEX subscriptions_organization_id_idx ON subscriptions (organization_id, created_at DESC);
CREATE INDEX subscriptions_plan_id_idx ON subscriptions (plan_id);
CREATE INDEX subscriptions_period_end_idx ON subscriptions (current_period_end)
  WHERE status IN ('trialing', 'active', 'past_due', 'unpaid');                -- renewals, local invoicing
CREATE INDEX subscriptions_past_due_idx ON subscriptions (payment_grace_ends_at) WHERE past_due_since IS NOT NULL; -- dunning
CREATE INDEX subscriptions_canceled_at_idx ON subscriptions (canceled_at) WHERE canceled_at IS NOT NULL;         -- churn
CREATE TRIGGER subscriptions_set_updated_at BEFORE UPDATE ON subscriptions
  FOR EACH ROW EXECUTE FUNCTION tg_set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- api_keys: customer keys, owned by an organization. Only SHA-256(secret) is stored.
-- Rotation: the new key has rotated_from_id = old key; the old key gets grace_ends_at
-- (keeps working until then, answered with Deprecation/Sunset headers) and is treated as
-- revoked afterwards (a job may set status = 'revoked').
-- Keys are never hard-deleted once used: usage_rollups reference them with ON DELETE RESTRICT.
-- ---------------------------------------------------------------------------------------------
CREATE TABLE api_keys (
  id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id         uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  created_by              uuid REFERENCES users (id) ON DELETE SET NULL,
  name                    text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
  environment             text NOT NULL DEFAULT 'live' CHECK (environment IN ('live', 'test')),
  prefix                  text NOT NULL CHECK (length(prefix) BETWEEN 8 AND 32),   -- display prefix, e.g. tg_live_AbC1
  key_hash                bytea NOT NULL UNIQUE CHECK (octet_length(key_hash) = 32),
  status                  text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled', 'revoked')),
  expires_at              timestamptz,
  rate_limit_per_minute   integer CHECK (rate_limit_per_minute IS NULL OR rate_limit_per_minute > 0), -- NULL: plan's
  metadata                jsonb NOT NULL DEFAULT '{}'
                          CHECK (jsonb_typeof(metadata) = 'object' AND octet_length(metadata::text) <= 4096),
  last_used_at            timestamptz,
  last_used_ip            inet,
  rotated_from_id         uuid REFERENCES api_keys (id) ON DELETE SET NULL,
  grace_ends_at           timestamptz,
  disabled_at             timestamptz,
  revoked_at              timestamptz,
  revoked_by              uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at              timestamptz NOT NULL DEFAULT now(),
  updated_at              timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT api_keys_revoked_consistent CHECK ((status = 'revoked') = (revoked_at IS NOT NULL)),
  CONSTRAINT api_keys_prefix_matches_env CHECK (prefix LIKE 'tg\_' || environment || '\_%')
);
CREATE INDEX api_keys_organization_idx ON api_keys (organization_id, created_at DESC);
CREATE INDEX api_keys_org_active_idx ON api_keys (organization_id) WHERE status = 'active';  -- plan max_api_keys count
CREATE INDEX api_keys_expiring_idx ON api_keys (expires_at) WHERE status = 'active' AND expires_at IS NOT NULL;
CREATE INDEX api_keys_grace_idx ON api_keys (grace_ends_at) WHERE grace_ends_at IS NOT NULL AND status <> 'revoked';
CREATE INDEX api_keys_created_by_idx ON api_keys (created_by) WHERE created_by IS NOT NULL;
CREATE INDEX api_keys_revoked_by_idx ON api_keys (revoked_by) WHERE revoked_by IS NOT NULL;
CREATE INDEX api_keys_rotated_from_idx ON api_keys (rotated_from_id) WHERE rotated_from_id IS NOT NULL;
CREATE TRIGGER api_keys_set_updated_at BEFORE UPDATE ON api_keys
  FOR EACH ROW EXECUTE FUNCTION tg_set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- service_tokens: operator root keys for POST /v1/keys/verify (not tenant-owned).
-- ---------------------------------------------------------------------------------------------
CREATE TABLE service_tokens (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name          text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 100),
  prefix        text NOT NULL CHECK (length(prefix) BETWEEN 4 AND 32),
  token_hash    bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
  scopes        text[] NOT NULL DEFAULT ARRAY['keys:verify']::text[]
                CHECK (cardinality(scopes) > 0 AND array_position(scopes, NULL) IS NULL),
  created_by    uuid REFERENCES users (id) ON DELETE SET NULL,   -- NULL when created from the CLI
  expires_at    timestamptz,
  last_used_at  timestamptz,
  last_used_ip  inet,
  revoked_at    timestamptz,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX service_tokens_created_at_idx ON service_tokens (created_at DESC);
CREATE INDEX service_tokens_created_by_idx ON service_tokens (created_by) WHERE created_by IS NOT NULL;
CREATE TRIGGER service_tokens_set_updated_at BEFORE UPDATE ON service_tokens
  FOR EACH ROW EXECUTE FUNCTION tg_set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- api_endpoints: gateway catalog. path_pattern is matched against the full request path
-- (e.g. '/gw/echo', '/gw/weather/:city', '/gw/files/*'); method '*' matches any method.
-- upstream_url is the base URL the request is proxied to; 'internal://echo' names the built-in
-- demo upstream.
-- ---------------------------------------------------------------------------------------------
CREATE TABLE api_endpoints (
  id                      uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  method                  text NOT NULL CHECK (method IN ('*', 'GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS')),
  path_pattern            text NOT NULL CHECK (path_pattern ~ '^/' AND length(path_pattern) <= 512),
  upstream_url            text NOT NULL CHECK (upstream_url ~ '^(https?|internal)://' AND length(upstream_url) <= 2048),
  description             text NOT NULL DEFAULT '',
  cost                    integer NOT NULL DEFAULT 1 CHECK (cost >= 0),        -- units charged per call
  rate_limit_per_minute   integer CHECK (rate_limit_per_minute IS NULL OR rate_limit_per_minute > 0), -- NULL: key/plan limit only
  timeout_ms              integer NOT NULL DEFAULT 30000 CHECK (timeout_ms BETWEEN 1 AND 600000),
  is_public               boolean NOT NULL DEFAULT false,   -- true: no key required, not metered
  enabled                 boolean NOT NULL DEFAULT true,
  created_at              timestamptz NOT NULL DEFAULT now(),
  updated_at              timestamptz NOT NULL DEFAULT now(),
  UNIQUE (method, path_pattern)
);
CREATE INDEX api_endpoints_enabled_idx ON api_endpoints (path_pattern) WHERE enabled;
CREATE TRIGGER api_endpoints_set_updated_at BEFORE UPDATE ON api_endpoints
  FOR EACH ROW EXECUTE FUNCTION tg_set_updated_at();
