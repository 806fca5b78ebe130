-- 0001_core: identity and tenancy.
-- users, organizations, organization_members, invitations, sessions (refresh-token families),
-- one_time_tokens, mfa_recovery_codes, plus the shared updated_at trigger function.
-- Applied by the migrator inside one transaction; no BEGIN/COMMIT here.
-- Conventions (see docs/data-model.md): text + CHECK instead of PG enums, timestamptz everywhere,
-- secrets stored only as hashes (bytea SHA-256) or encrypted bytes, uuid ids for visible entities.

-- Keeps updated_at current on every UPDATE of every table that has the column.
CREATE OR REPLACE FUNCTION tg_set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  NEW.updated_at := now();
  RETURN NEW;
END
$$;

-- ---------------------------------------------------------------------------------------------
-- users
-- ---------------------------------------------------------------------------------------------
CREATE TABLE users (
  id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  -- Stored as typed (display case kept); uniqueness and lookups are case-insensitive through
  -- users_email_lower_key: query with  WHERE lower(email) = lower($1).
  email                 text NOT NULL
                        CHECK (email = btrim(email) AND length(email) BETWEEN 3 AND 254 AND position('@' IN email) > 1),
  email_verified_at     timestamptz,
  -- argon2id encoded string ($argon2id$...) or a legacy bcrypt hash ($2a$/$2b$/$2y$) rehashed on login.
  -- NULL only for deleted (anonymized) accounts, which can never log in.
  password_hash         text,
  password_changed_at   timestamptz,
  name                  text CHECK (name IS NULL OR length(name) <= 200),
  company               text CHECK (company IS NULL OR length(company) <= 200),
  avatar_url            text CHECK (avatar_url IS NULL OR length(avatar_url) <= 2048),
  role                  text NOT NULL DEFAULT 'USER' CHECK (role IN ('USER', 'ADMIN')),
  status                text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'deleted')),
  status_reason         text,
  suspended_at          timestamptz,
  deleted_at            timestamptz,
  -- TOTP: secret encrypted by the application (AEAD, key from config) — never plaintext.
  -- Enrolment stores the secret with totp_enabled_at NULL; confirming sets totp_enabled_at.
  totp_secret_enc       bytea,
  totp_enabled_at       timestamptz,
  -- Last accepted RFC 6238 time step (unix_time / 30): a code is accepted only for a step > this.
  totp_last_step        bigint,
  -- Per-account brute-force protection (per-IP throttling lives in the rate limiter).
  failed_login_count    integer NOT NULL DEFAULT 0 CHECK (failed_login_count >= 0),
  last_failed_login_at  timestamptz,
  locked_until          timestamptz,
  last_login_at         timestamptz,
  last_login_ip         inet,
  -- Per-user notification e-mail preferences, e.g. {"email": {"quota_80": false}}.
  notification_prefs    jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(notification_prefs) = 'object'),
  created_at            timestamptz NOT NULL DEFAULT now(),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT users_password_required CHECK (password_hash IS NOT NULL OR status = 'deleted'),
  CONSTRAINT users_totp_enabled_needs_secret CHECK (totp_enabled_at IS NULL OR totp_secret_enc IS NOT NULL),
  CONSTRAINT users_deleted_at_consistent CHECK ((status = 'deleted') = (deleted_at IS NOT NULL))
);
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));
CREATE INDEX users_created_at_idx ON users (created_at);               -- admin list, signups per day
CREATE INDEX users_status_idx ON users (status) WHERE status <> 'active'; -- admin filters
CREATE INDEX users_admin_idx ON users (role) WHERE role = 'ADMIN';
CREATE TRIGGER users_set_updated_at BEFORE UPDATE ON users
  FOR EACH ROW EXECUTE FUNCTION tg_set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- organizations: the tenant. Owns keys, subscription, usage, invoices, payment methods.
-- ---------------------------------------------------------------------------------------------
CREATE TABLE organizations (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name                text NOT NULL CHECK (length(btrim(name)) BETWEEN 1 AND 200),
  -- TRUE for the organization created with every user; exactly one per user (index below).
  personal            boolean NOT NULL DEFAULT false,
  -- The single owner. Mirrors the one organization_members row with role 'OWNER'.
  -- RESTRICT: a user row cannot be hard-deleted while it owns an organization.
  owner_user_id       uuid NOT NULL REFERENCES users (id) ON DELETE RESTRICT,
  status              text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended', 'deleted')),
  status_reason       text,
  suspended_at        timestamptz,
  deleted_at          timestamptz,
  stripe_customer_id  text UNIQUE,
  billing_email       text CHECK (billing_email IS NULL OR position('@' IN billing_email) > 1),
  settings            jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(settings) = 'object'),
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT organizations_deleted_at_consistent CHECK ((status = 'deleted') = (deleted_at IS NOT NULL))
);
CREATE UNIQUE INDEX organizations_personal_owner_key ON organizations (owner_user_id) WHERE personal;
CREATE INDEX organizations_owner_user_id_idx ON organizations (owner_user_id);
CREATE INDEX organizations_created_at_idx ON organizations (created_at);
CREATE INDEX organizations_status_idx ON organizations (status) WHERE status <> 'active';
CREATE TRIGGER organizations_set_updated_at BEFORE UPDATE ON organizations
  FOR EACH ROW EXECUTE FUNCTION tg_set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- organization_members
-- ---------------------------------------------------------------------------------------------
CREATE TABLE organization_members (
  organization_id  uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  user_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  role             text NOT NULL CHECK (role IN ('OWNER', 'ADMIN', 'MEMBER', 'BILLING')),
  invited_by       uuid REFERENCES users (id) ON DELETE SET NULL,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organization_id, user_id)
);
-- One OWNER per organization. Ownership transfer: demote the old owner first, then promote the
-- new one and update organizations.owner_user_id, all in one transaction.
CREATE UNIQUE INDEX organization_members_one_owner_key ON organization_members (organization_id) WHERE role = 'OWNER';
CREATE INDEX organization_members_user_id_idx ON organization_members (user_id);
CREATE INDEX organization_members_invited_by_idx ON organization_members (invited_by) WHERE invited_by IS NOT NULL;
CREATE TRIGGER organization_members_set_updated_at BEFORE UPDATE ON organization_members
  FOR EACH ROW EXECUTE FUNCTION tg_set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- invitations (token stored as SHA-256; the raw token is only in the e-mail link)
-- ---------------------------------------------------------------------------------------------
CREATE TABLE invitations (
  id                   uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id      uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
  email                text NOT NULL CHECK (email = btrim(email) AND position('@' IN email) > 1),
  role                 text NOT NULL CHECK (role IN ('ADMIN', 'MEMBER', 'BILLING')),
  token_hash           bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
  invited_by           uuid REFERENCES users (id) ON DELETE SET NULL,
  expires_at           timestamptz NOT NULL,
  accepted_at          timestamptz,
  accepted_by          uuid REFERENCES users (id) ON DELETE SET NULL,
  revoked_at           timestamptz,
  send_count           integer NOT NULL DEFAULT 1 CHECK (send_count >= 0),
  last_sent_at         timestamptz,
  created_at           timestamptz NOT NULL DEFAULT now(),
  updated_at           timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT invitations_single_outcome CHECK (accepted_at IS NULL OR revoked_at IS NULL)
);
-- At most one pending invitation per organization and address; "resend" updates that row
-- (new token_hash, new expires_at).
CREATE UNIQUE INDEX invitations_pending_key ON invitations (organization_id, lower(email))
  WHERE accepted_at IS NULL AND revoked_at IS NULL;
CREATE INDEX invitations_organization_id_idx ON invitations (organization_id, created_at DESC);
CREATE INDEX invitations_email_lower_idx ON invitations (lower(email)) WHERE accepted_at IS NULL AND revoked_at IS NULL;
CREATE INDEX invitations_invited_by_idx ON invitations (invited_by) WHERE invited_by IS NOT NULL;
CREATE INDEX invitations_accepted_by_idx ON invitations (accepted_by) WHERE accepted_by IS NOT NULL;
CREATE TRIGGER invitations_set_updated_at BEFORE UPDATE ON invitations
  FOR EACH ROW EXECUTE FUNCTION tg_set_updated_at();

-- ---------------------------------------------------------------------------------------------
-- sessions: one row per refresh token. A login starts a family (family_id = id of the first row);
-- each refresh inserts a child row (same family_id, parent_id = previous row) and sets the
-- previous row's rotated_at. Presenting a token whose row has rotated_at or revoked_at set is
-- reuse: revoke the whole family (UPDATE ... SET revoked_at = now() WHERE family_id = $1).
-- The "current" token of a family is its row with rotated_at IS NULL AND revoked_at IS NULL.
-- ---------------------------------------------------------------------------------------------
CREATE TABLE sessions (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  family_id          uuid NOT NULL,
  user_id            uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  token_hash         bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
  parent_id          uuid REFERENCES sessions (id) ON DELETE SET NULL,
  family_started_at  timestamptz NOT NULL DEFAULT now(),   -- copied to every row of the family
  -- When the user last completed a 2FA check in this family (step-up for sensitive admin actions).
  mfa_verified_at    timestamptz,
  user_agent         text CHECK (user_agent IS NULL OR length(user_agent) <= 1024),
  ip                 inet,
  created_at         timestamptz NOT NULL DEFAULT now(),
  last_used_at       timestamptz,
  expires_at         timestamptz NOT NULL,
  rotated_at         timestamptz,
  revoked_at         timestamptz,
  revoke_reason      text CHECK (revoke_reason IS NULL OR revoke_reason IN
                       ('logout', 'logout_all', 'reuse_detected', 'password_changed', 'password_reset',
                        'user_suspended', 'user_deleted', 'admin', 'user_revoked', 'member_removed', 'mfa_changed')),
  CONSTRAINT sessions_expiry_after_creation CHECK (expires_at > created_at)
);
CREATE INDEX sessions_family_id_idx ON sessions (family_id);
CREATE INDEX sessions_user_active_idx ON sessions (user_id, created_at DESC)
  WHERE rotated_at IS NULL AND revoked_at IS NULL;          -- list / revoke-all for a user
CREATE INDEX sessions_user_id_idx ON sessions (user_id);      -- FK
CREATE INDEX sessions_parent_id_idx ON sessions (parent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);  -- cleanup job

-- ---------------------------------------------------------------------------------------------
-- one_time_tokens: e-mail verification, password reset, mfa-pending login step, e-mail change.
-- Raw token only in the link / response; stored as SHA-256. Single use: consume with
--   UPDATE one_time_tokens SET used_at = now()
--   WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > now() RETURNING ...
-- ---------------------------------------------------------------------------------------------
CREATE TABLE one_time_tokens (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  purpose     text NOT NULL CHECK (purpose IN ('email_verify', 'password_reset', 'mfa_pending', 'email_change')),
  token_hash  bytea NOT NULL UNIQUE CHECK (octet_length(token_hash) = 32),
  -- Non-secret context, e.g. {"new_email": "..."} for email_change, attempt counters for mfa_pending.
  payload     jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(payload) = 'object'),
  ip          inet,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  CONSTRAINT one_time_tokens_expiry_after_creation CHECK (expires_at > created_at)
);
CREATE INDEX one_time_tokens_user_purpose_idx ON one_time_tokens (user_id, purpose, created_at DESC);
CREATE INDEX one_time_tokens_expires_at_idx ON one_time_tokens (expires_at);

-- ---------------------------------------------------------------------------------------------
-- mfa_recovery_codes: 10 per user, single use, hashed (argon2id encoded string or hex SHA-256
-- of a high-entropy code — the application chooses; verification loops over the user's unused rows).
-- Regeneration deletes the user's rows and inserts a new batch.
-- ---------------------------------------------------------------------------------------------
CREATE TABLE mfa_recovery_codes (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id     uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  code_hash   text NOT NULL CHECK (length(code_hash) BETWEEN 16 AND 512),
  created_at  timestamptz NOT NULL DEFAULT now(),
  used_at     timestamptz,
  UNIQUE (user_id, code_hash)
);
CREATE INDEX mfa_recovery_codes_user_unused_idx ON mfa_recovery_codes (user_id) WHERE used_at IS NULL;
