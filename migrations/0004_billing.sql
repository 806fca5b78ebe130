-- 0004_billing: invoices (billing_records + invoice_lines), payment_methods, Stripe meter reports.
-- Stripe is the source of truth for payment state; these tables are its cache (and the ledger
-- of record in local mode, when STRIPE_SECRET_KEY is unset).

-- ---------------------------------------------------------------------------------------------
-- billing_records: one row per invoice.
-- status: Stripe invoice statuses plus 'failed' (an open invoice whose last payment attempt
-- failed — set by invoice.payment_failed, back to 'open'/'paid' on retry/payment).
-- Amounts are integer minor units of `currency`; subtotal/total may be negative (credits, prorations).
-- ---------------------------------------------------------------------------------------------
CREATE TABLE billing_records (
  id                     uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id        uuid NOT NULL REFERENCES organizations (id) ON DELETE RESTRICT,
  subscription_id        uuid REFERENCES subscriptions (id) ON DELETE SET NULL,
  plan_id                uuid REFERENCES plans (id) ON DELETE SET NULL,   -- plan billed (snapshot pointer)
  source                 text NOT NULL DEFAULT 'local' CHECK (source IN ('local', 'stripe')),
  number                 text UNIQUE,          -- NULL while draft; Stripe's number or local 'TG-YYYYMM-NNNNNN'
  status                 text NOT NULL DEFAULT 'draft' CHECK (status IN
                           ('draft', 'open', 'paid', 'failed', 'void', 'uncollectible')),
  currency               char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  period_start           timestamptz NOT NULL,
  period_end             timestamptz NOT NULL,
  subtotal_minor         bigint NOT NULL DEFAULT 0,
  discount_minor         bigint NOT NULL DEFAULT 0 CHECK (discount_minor >= 0),
  tax_minor              bigint NOT NULL DEFAULT 0 CHECK (tax_minor >= 0),
  total_minor            bigint NOT NULL DEFAULT 0,
  amount_due_minor       bigint NOT NULL DEFAULT 0 CHECK (amount_due_minor >= 0),
  amount_paid_minor      bigint NOT NULL DEFAULT 0 CHECK (amount_paid_minor >= 0),
  -- Usage snapshot used for the overage line (reconciliation against usage_rollups).
  included_units         bigint NOT NULL DEFAULT 0 CHECK (included_units >= 0),
  usage_units            bigint NOT NULL DEFAULT 0 CHECK (usage_units >= 0),
  overage_units          bigint NOT NULL DEFAULT 0 CHECK (overage_units >= 0),
  stripe_invoice_id      text UNIQUE,
  stripe_state_at        timestamptz,        -- Stripe object time of the last applied state (ordering)
  hosted_invoice_url     text,
  invoice_pdf_url        text,
  issued_at              timestamptz,
  due_at                 timestamptz,
  paid_at                timestamptz,
  voided_at              timestamptz,
  payment_failed_at      timestamptz,
  payment_attempts       integer NOT NULL DEFAULT 0 CHECK (payment_attempts >= 0),
  marked_paid_by         uuid REFERENCES users (id) ON DELETE SET NULL,   -- local mode: admin "mark paid"
  metadata               jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object'),
  created_at             timestamptz NOT NULL DEFAULT now(),
  updated_at             timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT billing_records_period_order CHECK (period_end >= period_start),
  CONSTRAINT billing_records_stripe_id_when_stripe CHECK (source <> 'stripe' OR stripe_invoice_id IS NOT NULL),
  CONSTRAINT billing_records_paid_has_time CHECK (status <> 'paid' OR paid_at IS NOT NULL)
);
-- Local mode generates one invoice per organization and period: idempotent period-end job.
CREATE UNIQUE INDEX billing_records_local_period_key ON billing_records (organization_id, period_start, period_end)
  WHERE source = 'local' AND status <> 'void';
CREATE INDEX billing_records_org_idx ON billing_records (organization_id, created_at DESC);
CREATE INDEX billing_records_subscription_idx ON billing_records (subscription_id) WHERE subscription_id IS NOT NULL;
CREATE INDEX billing_records_plan_idx ON billing_records (plan_id) WHERE plan_id IS NOT NULL;
CREATE INDEX billing_records_marked_paid_by_idx ON billing_records (marked_paid_by) WHERE marked_paid_by IS NOT NULL;
CREATE INDEX billing_records_unpaid_idx ON billing_records (status, due_at) WHERE status IN ('open', 'failed');
CREATE INDEX billing_records_paid_at_idx ON billing_records (paid_at) WHERE status = 'paid';   -- revenue / MRR
CREATE TRIGGER billing_records_set_updated_at BEFORE UPDATE ON billing_records
  FOR EACH ROW EXECUTE FUNCTION tg_set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- invoice_lines: line items of a billing record (base fee, included units, overage, prorations...).
-- Unit price uses the plan's block pricing: unit_price_minor per units_per_price units.
-- ---------------------------------------------------------------------------------------------
CREATE TABLE invoice_lines (
  id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  billing_record_id     uuid NOT NULL REFERENCES billing_records (id) ON DELETE CASCADE,
  position              integer NOT NULL DEFAULT 0,
  kind                  text NOT NULL CHECK (kind IN
                          ('base_fee', 'included_units', 'overage', 'proration', 'discount', 'tax', 'adjustment', 'other')),
  description           text NOT NULL DEFAULT '',
  quantity              bigint NOT NULL DEFAULT 1,
  unit_price_minor      bigint,                 -- NULL for lines without a unit price
  units_per_price       bigint NOT NULL DEFAULT 1 CHECK (units_per_price > 0),
  amount_minor          bigint NOT NULL,
  currency              char(3) NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  period_start          timestamptz,
  period_end            timestamptz,
  stripe_line_item_id   text UNIQUE,
  created_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX invoice_lines_record_idx ON invoice_lines (billing_record_id, position);

-- ---------------------------------------------------------------------------------------------
-- payment_methods: cache of the organization's Stripe payment methods (no card data beyond
-- brand / last four / expiry ever reaches Tollgate).
-- ---------------------------------------------------------------------------------------------
CREATE TABLE payment_methods (
  id                          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id             uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  stripe_payment_method_id    text NOT NULL UNIQUE,
  type                        text NOT NULL DEFAULT 'card' CHECK (length(type) BETWEEN 1 AND 50),
  brand                       text,
  last4                       char(4) CHECK (last4 IS NULL OR last4 ~ '^[0-9]{4}$'),
  exp_month                   smallint CHECK (exp_month IS NULL OR exp_month BETWEEN 1 AND 12),
  exp_year                    smallint CHECK (exp_year IS NULL OR exp_year BETWEEN 2000 AND 2200),
  is_default                  boolean NOT NULL DEFAULT false,
  created_at                  timestamptz NOT NULL DEFAULT now(),
  updated_at                  timestamptz NOT NULL DEFAULT now()
);
-- At most one default per organization: clear the old default before setting a new one.
CREATE UNIQUE INDEX payment_methods_one_default_key ON payment_methods (organization_id) WHERE is_default;
CREATE INDEX payment_methods_org_idx ON payment_methods (organization_id, created_at DESC);
CREATE TRIGGER payment_methods_set_updated_at BEFORE UPDATE ON payment_methods
  FOR EACH ROW EXECUTE FUNCTION tg_set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- usage_meter_reports: ledger of usage reported to Stripe Billing Meters, per organization x
-- UTC hour bucket. identifier is the meter event identifier sent to Stripe (deterministic, e.g.
-- 'tg-<org>-<yyyymmddhh>-<seq>'), so a resend is deduplicated by Stripe and by this UNIQUE.
-- Units that arrive after an hour was reported are sent as a further row with seq + 1
-- (units = rollup total - sum(already reported)).
-- ---------------------------------------------------------------------------------------------
CREATE TABLE usage_meter_reports (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id   uuid NOT NULL REFERENCES organizations (id) ON DELETE RESTRICT,
  subscription_id   uuid REFERENCES subscriptions (id) ON DELETE SET NULL,
  bucket_start      timestamptz NOT NULL CHECK (bucket_start = date_trunc('hour', bucket_start, 'UTC')),
  seq               integer NOT NULL DEFAULT 0 CHECK (seq >= 0),
  units             bigint NOT NULL CHECK (units > 0),
  identifier        text NOT NULL UNIQUE,
  stripe_meter_event_name text,
  status            text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
  attempts          integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  last_error        text,
  sent_at           timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organization_id, bucket_start, seq)
);
CREATE INDEX usage_meter_reports_pending_idx ON usage_meter_reports (created_at) WHERE status <> 'sent';
CREATE INDEX usage_meter_reports_subscription_idx ON usage_meter_reports (subscription_id) WHERE subscription_id IS NOT NULL;
CREATE TRIGGER usage_meter_reports_set_updated_at BEFORE UPDATE ON usage_meter_reports
  FOR EACH ROW EXECUTE FUNCTION tg_set_updated_at();
