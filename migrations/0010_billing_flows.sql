-- 0010_billing_flows: numbers for locally generated invoices, and the cursors of periodic billing jobs.

-- Local invoice numbers: 'TG-YYYYMM-' || lpad(nextval, 6, '0'). A sequence, so two instances never draw the
-- same number (gaps after a rolled-back renewal are acceptable for local invoices).
CREATE SEQUENCE IF NOT EXISTS billing_record_number_seq;

-- Where a periodic job has got to, so a restart neither repeats nor skips work. The meter reporter stores the
-- last fully reported UTC hour here ('stripe.meter_events').
CREATE TABLE IF NOT EXISTS billing_cursors (
  name        text PRIMARY KEY CHECK (name ~ '^[a-z0-9_.]+$'),
  position    timestamptz NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
