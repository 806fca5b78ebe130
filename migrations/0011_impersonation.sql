-- 0011_impersonation: "view as customer". An administrator, after a fresh TOTP step-up and with a reason, gets a
-- read-only access token for a customer; the row below is what every request made with it is checked against
-- (ended or expired rows stop the token at once, on every instance).
CREATE TABLE impersonations (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  admin_user_id   uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  reason          text NOT NULL CHECK (length(btrim(reason)) BETWEEN 1 AND 2000),
  started_at      timestamptz NOT NULL DEFAULT now(),
  expires_at      timestamptz NOT NULL,
  ended_at        timestamptz,
  CONSTRAINT impersonations_expiry_after_start CHECK (expires_at > started_at)
);
CREATE INDEX impersonations_admin_idx ON impersonations (admin_user_id, started_at DESC);
CREATE INDEX impersonations_user_idx ON impersonations (user_id, started_at DESC);
