-- Passkeys (WebAuthn, issue 14): discoverable credentials a user signs in with by themselves.

-- The WebAuthn user handle (user.id in the creation options, userHandle in an assertion): 32
-- random bytes made at the user's first registration options, never the user id (a handle says
-- nothing about the account and survives nothing but the user). NULL until then.
ALTER TABLE users ADD COLUMN webauthn_user_handle bytea UNIQUE;

-- One row per registered passkey. credential_data is webauthn4j's serialized attested credential
-- data (AAGUID, credential id, COSE public key): what an assertion is verified against. A public
-- key, not a secret. sign_count is the authenticator's signature counter as last accepted: an
-- assertion is accepted only by one conditional UPDATE from the count it was checked against.
CREATE TABLE passkeys (
  id              uuid        PRIMARY KEY,
  user_id         uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  credential_id   bytea       NOT NULL UNIQUE,
  credential_data bytea       NOT NULL,
  sign_count      bigint      NOT NULL DEFAULT 0,
  transports      text[]      NOT NULL DEFAULT '{}',
  name            text        NOT NULL,
  uv_initialized  boolean     NOT NULL,
  backup_eligible boolean     NOT NULL,
  backup_state    boolean     NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  last_used_at    timestamptz
);
CREATE INDEX passkeys_user_id ON passkeys (user_id, created_at);

-- Registration challenges, single-use (consumed by DELETE ... RETURNING) and short-lived, in
-- PostgreSQL so that the options from one user node are good on every other. Only SHA-256 of the
-- challenge is stored. The retention deletes expired rows on passkey_challenges_expires_at.
CREATE TABLE passkey_challenges (
  challenge_hash bytea       PRIMARY KEY,
  user_id        uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  expires_at     timestamptz NOT NULL
);
CREATE INDEX passkey_challenges_user_id ON passkey_challenges (user_id);
CREATE INDEX passkey_challenges_expires_at ON passkey_challenges (expires_at);
