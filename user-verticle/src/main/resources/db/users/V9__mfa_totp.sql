-- A second factor (issue 13): TOTP (RFC 6238) and its recovery codes.

-- Whether a password login must be completed by TOTP, on the user's own row: the credentials
-- lookup of every login reads it with the rest of the row, no join. Set in the same transaction
-- as the mfa_totp row it follows. (A column with a constant default is instant since PostgreSQL 11.)
ALTER TABLE users ADD COLUMN totp_enabled boolean NOT NULL DEFAULT false;

-- One TOTP secret per user, sealed (AES-256-GCM under MFA_SECRET_KEY, bound to the user id:
-- the plain secret is never stored). enabled_at NULL: an enrolment waiting for its confirming
-- code (pending_failures counts wrong ones). last_used_step is the highest RFC 6238 step ever
-- accepted for the user: a code is accepted only by raising it, in one statement, so a step
-- is used once across every user node, and never a step below one already used.
CREATE TABLE mfa_totp (
  user_id          uuid        PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  secret_sealed    bytea       NOT NULL,
  enabled_at       timestamptz,
  pending_failures integer     NOT NULL DEFAULT 0,
  last_used_step   bigint      NOT NULL DEFAULT 0,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);

-- Recovery codes, as HMAC-SHA256 under a key derived from MFA_SECRET_KEY (never the code).
-- A code works once: used_at is set by the one statement that accepts it. Regeneration deletes
-- the user's rows and writes ten new ones; removal of the factor deletes them.
CREATE TABLE mfa_recovery_codes (
  user_id   uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  code_hash bytea       NOT NULL,
  used_at   timestamptz,
  PRIMARY KEY (user_id, code_hash)
);

-- The auth service hears of a factor enabled or removed like of the other changes.
ALTER TABLE outbox DROP CONSTRAINT outbox_type_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_type_check CHECK (type IN ('password_changed', 'user_deleted',
  'email_changed', 'roles_changed', 'password_reset', 'user_disabled', 'user_enabled', 'email_verified',
  'mfa_enabled', 'mfa_removed'));
