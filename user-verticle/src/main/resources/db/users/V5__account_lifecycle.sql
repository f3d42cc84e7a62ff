-- The account lifecycle: verified addresses, disabled accounts, tokens sent by mail, and the
-- mail outbox that sends them.

-- Users of the first release keep emailVerified false: nobody ever proved their address.
ALTER TABLE users ADD COLUMN email_verified boolean NOT NULL DEFAULT false;
ALTER TABLE users ADD COLUMN disabled boolean NOT NULL DEFAULT false;

-- The notices of a reset (a password change that also clears the login lockout), a disable,
-- an enable and a verified address travel to the auth service like the others.
ALTER TABLE outbox DROP CONSTRAINT outbox_type_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_type_check CHECK (type IN ('password_changed', 'user_deleted',
  'email_changed', 'roles_changed', 'password_reset', 'user_disabled', 'user_enabled', 'email_verified'));

-- Tokens sent by mail, stored only as SHA-256 hashes of the random token (>= 256 bits, so the
-- hash is a safe lookup key). A token works once (used_at), until expires_at, and not after a
-- newer token of the same purpose or a password change retired it (retired_at). A verification
-- token is for the address it was sent to (email_key): after an email change it verifies nothing.
CREATE TABLE mail_tokens (
  token_hash bytea       PRIMARY KEY,
  user_id    uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  purpose    text        NOT NULL CHECK (purpose IN ('verify_email', 'password_reset')),
  email_key  text        NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  used_at    timestamptz,
  retired_at timestamptz
);

-- Retiring a user's open tokens of one purpose, and the deletion of old tokens.
CREATE INDEX mail_tokens_open ON mail_tokens (user_id, purpose) WHERE used_at IS NULL AND retired_at IS NULL;
CREATE INDEX mail_tokens_expires ON mail_tokens (expires_at);

-- Mails to send, written in the same transaction as the change that causes them (a password
-- reset request is written as it arrives, whoever the address belongs to: the relay resolves it,
-- so the request's answer does the same work for every address). The token a mail carries is
-- sealed (AES-GCM under a key derived from the internal API keys, never stored in the clear)
-- and erased once the server accepted the mail. Relays claim a row with a short lease, as the
-- notice outbox does, so one mail is sent by one relay at a time on any number of nodes.
CREATE TABLE mail_outbox (
  id              bigserial   PRIMARY KEY,
  kind            text        NOT NULL CHECK (kind IN ('verify_email', 'email_changed', 'password_reset', 'reset_request')),
  user_id         uuid,
  recipient       text        NOT NULL,
  sealed_token    bytea,
  request_id      text,
  created_at      timestamptz NOT NULL DEFAULT now(),
  attempts        integer     NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  last_error      text,
  lease_until     timestamptz,
  lease_owner     uuid,
  done_at         timestamptz,
  outcome         text CHECK (outcome IN ('sent', 'no_account'))
);

CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at, id) WHERE done_at IS NULL;
CREATE INDEX mail_outbox_done ON mail_outbox (done_at) WHERE done_at IS NOT NULL;
