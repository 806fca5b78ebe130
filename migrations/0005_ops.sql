-- 0005_ops: audit_log, notifications, stripe_webhook_events, jobs (durable queue), email_outbox,
-- job_cursors.

-- ---------------------------------------------------------------------------------------------
-- audit_log: append-only security and admin trail. NEVER store passwords, tokens, codes, keys
-- or secrets in any column (metadata included). Rows survive user and organization deletion
-- (references become NULL).
-- ---------------------------------------------------------------------------------------------
CREATE TABLE audit_log (
  id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  created_at             timestamptz NOT NULL DEFAULT now(),
  actor_type             text NOT NULL DEFAULT 'user' CHECK (actor_type IN
                           ('user', 'admin', 'system', 'service_token', 'stripe', 'anonymous')),
  actor_user_id          uuid REFERENCES users (id) ON DELETE SET NULL,
  impersonator_user_id   uuid REFERENCES users (id) ON DELETE SET NULL,  -- admin acting "as customer"
  organization_id        uuid REFERENCES organizations (id) ON DELETE SET NULL,
  -- Dotted lower-case name, e.g. 'auth.login.succeeded', 'api_key.revoked', 'admin.user.suspended'.
  action                 text NOT NULL CHECK (action ~ '^[a-z0-9_]+(\.[a-z0-9_]+)*$' AND length(action) <= 100),
  target_type            text CHECK (target_type IS NULL OR target_type ~ '^[a-z0-9_]+$'),
  target_id              text CHECK (target_id IS NULL OR length(target_id) <= 200),
  outcome                text NOT NULL DEFAULT 'success' CHECK (outcome IN ('success', 'failure', 'denied')),
  reason                 text CHECK (reason IS NULL OR length(reason) <= 2000),  -- required by the app for admin actions
  ip                     inet,
  user_agent             text CHECK (user_agent IS NULL OR length(user_agent) <= 1024),
  request_id             text CHECK (request_id IS NULL OR length(request_id) <= 200),
  metadata               jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(metadata) = 'object')
);
CREATE INDEX audit_log_org_time_idx ON audit_log (organization_id, created_at DESC) WHERE organization_id IS NOT NULL;
CREATE INDEX audit_log_actor_time_idx ON audit_log (actor_user_id, created_at DESC) WHERE actor_user_id IS NOT NULL;
CREATE INDEX audit_log_impersonator_idx ON audit_log (impersonator_user_id, created_at DESC) WHERE impersonator_user_id IS NOT NULL;
CREATE INDEX audit_log_time_idx ON audit_log (created_at DESC);
CREATE INDEX audit_log_action_time_idx ON audit_log (action, created_at DESC);
CREATE INDEX audit_log_target_idx ON audit_log (target_type, target_id, created_at DESC) WHERE target_id IS NOT NULL;

-- ---------------------------------------------------------------------------------------------
-- notifications: in-app notifications (bell). E-mail copies go through email_outbox according to
-- users.notification_prefs. dedupe_key makes once-per-event notifications idempotent
-- (e.g. 'quota_80:<org>:<period start>' with INSERT ... ON CONFLICT (dedupe_key) DO NOTHING).
-- ---------------------------------------------------------------------------------------------
CREATE TABLE notifications (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id           uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  organization_id   uuid REFERENCES organizations (id) ON DELETE CASCADE,
  kind              text NOT NULL CHECK (kind IN
                      ('quota_80', 'quota_100', 'payment_failed', 'payment_succeeded', 'subscription_changed',
                       'key_expiring', 'key_rotated', 'invitation_received', 'new_sign_in', 'security', 'system')),
  payload           jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(payload) = 'object'),
  dedupe_key        text UNIQUE,
  read_at           timestamptz,
  emailed_at        timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX notifications_user_time_idx ON notifications (user_id, created_at DESC);
CREATE INDEX notifications_user_unread_idx ON notifications (user_id) WHERE read_at IS NULL;
CREATE INDEX notifications_org_idx ON notifications (organization_id) WHERE organization_id IS NOT NULL;

-- ---------------------------------------------------------------------------------------------
-- stripe_webhook_events: every verified webhook delivery, inserted before the 200 receipt with
--   INSERT ... ON CONFLICT (stripe_event_id) DO NOTHING
-- (a redelivery is acknowledged without reprocessing); a job processes it.
-- ---------------------------------------------------------------------------------------------
CREATE TABLE stripe_webhook_events (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  stripe_event_id     text NOT NULL UNIQUE CHECK (length(stripe_event_id) BETWEEN 1 AND 255),
  type                text NOT NULL,
  api_version         text,
  livemode            boolean NOT NULL DEFAULT false,
  stripe_created_at   timestamptz,          -- event.created
  payload             jsonb NOT NULL CHECK (jsonb_typeof(payload) = 'object'),
  status              text NOT NULL DEFAULT 'received' CHECK (status IN
                        ('received', 'processing', 'processed', 'ignored', 'failed')),
  attempts            integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  error               text,
  received_at         timestamptz NOT NULL DEFAULT now(),
  processed_at        timestamptz,
  updated_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX stripe_webhook_events_pending_idx ON stripe_webhook_events (received_at)
  WHERE status IN ('received', 'processing', 'failed');
CREATE INDEX stripe_webhook_events_type_time_idx ON stripe_webhook_events (type, received_at DESC);
CREATE INDEX stripe_webhook_events_received_at_idx ON stripe_webhook_events (received_at);  -- retention
CREATE TRIGGER stripe_webhook_events_set_updated_at BEFORE UPDATE ON stripe_webhook_events
  FOR EACH ROW EXECUTE FUNCTION tg_set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- jobs: durable queue. Column set is a contract with src/ (the queue code) — do not change it.
-- Dequeue:  SELECT ... FROM jobs WHERE status = 'queued' AND run_at <= now()
--           ORDER BY run_at LIMIT n FOR UPDATE SKIP LOCKED        (jobs_dequeue_idx)
-- Reap:     WHERE status = 'running' AND locked_at < now() - $timeout (jobs_running_locked_at_idx)
-- updated_at is also maintained by trigger.
-- ---------------------------------------------------------------------------------------------
CREATE TABLE jobs (
  id               bigserial PRIMARY KEY,
  kind             text NOT NULL,
  payload          jsonb NOT NULL DEFAULT '{}',
  status           text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'running', 'done', 'dead')),
  attempts         int NOT NULL DEFAULT 0,
  max_attempts     int NOT NULL DEFAULT 8,
  run_at           timestamptz NOT NULL DEFAULT now(),
  locked_at        timestamptz,
  locked_by        text,
  last_error       text,
  idempotency_key  text UNIQUE,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  finished_at      timestamptz
);
CREATE INDEX jobs_dequeue_idx ON jobs (run_at) WHERE status = 'queued';
CREATE INDEX jobs_running_locked_at_idx ON jobs (locked_at) WHERE status = 'running';
CREATE INDEX jobs_finished_at_idx ON jobs (finished_at) WHERE status IN ('done', 'dead');   -- pruning, dead-letter view
CREATE TRIGGER jobs_set_updated_at BEFORE UPDATE ON jobs
  FOR EACH ROW EXECUTE FUNCTION tg_set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- email_outbox: every outgoing e-mail (all transports). The send job renders `template` with
-- `payload`; the dev transport keeps the rendered message here. Payloads of verification/reset
-- mails carry the raw link token until sent: the send job must strip it afterwards
-- (payload = payload - 'token', rendered bodies set to NULL) except in the dev transport.
-- ---------------------------------------------------------------------------------------------
CREATE TABLE email_outbox (
  id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id               uuid REFERENCES users (id) ON DELETE SET NULL,
  organization_id       uuid REFERENCES organizations (id) ON DELETE SET NULL,
  to_email              text NOT NULL CHECK (position('@' IN to_email) > 1 AND length(to_email) <= 254),
  to_name               text,
  template              text NOT NULL CHECK (template ~ '^[a-z0-9_]+$'),
  payload               jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(payload) = 'object'),
  subject               text,
  body_text             text,
  body_html             text,
  status                text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'dead')),
  attempts              integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  last_error            text,
  transport             text CHECK (transport IS NULL OR transport IN ('smtp', 'sendgrid', 'dev')),
  provider_message_id   text,
  idempotency_key       text UNIQUE,
  job_id                bigint REFERENCES jobs (id) ON DELETE SET NULL,
  sent_at               timestamptz,
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX email_outbox_pending_idx ON email_outbox (created_at) WHERE status IN ('queued', 'sending', 'failed');
CREATE INDEX email_outbox_to_idx ON email_outbox (lower(to_email), created_at DESC);   -- dev inbox / tests
CREATE INDEX email_outbox_user_idx ON email_outbox (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX email_outbox_org_idx ON email_outbox (organization_id) WHERE organization_id IS NOT NULL;
CREATE INDEX email_outbox_job_idx ON email_outbox (job_id) WHERE job_id IS NOT NULL;
CREATE TRIGGER email_outbox_set_updated_at BEFORE UPDATE ON email_outbox
  FOR EACH ROW EXECUTE FUNCTION tg_set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- job_cursors: named progress markers of periodic jobs (e.g. 'stripe.meter_report' ->
-- {"reported_until": "..."}, 'usage.partitions'), updated in the job's own transaction.
-- ---------------------------------------------------------------------------------------------
CREATE TABLE job_cursors (
  name        text PRIMARY KEY CHECK (name ~ '^[a-z0-9_.:-]+$'),
  cursor      jsonb NOT NULL DEFAULT '{}',
  updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER job_cursors_set_updated_at BEFORE UPDATE ON job_cursors
  FOR EACH ROW EXECUTE FUNCTION tg_set_updated_at();
