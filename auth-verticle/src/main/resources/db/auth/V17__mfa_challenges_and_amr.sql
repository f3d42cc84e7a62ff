-- Issue 13: the two-step login and amr (RFC 8176).

-- A challenge is what POST /auth/login answers a user with a second factor after the right
-- password: the mfaToken, which POST /auth/login/mfa finishes. Only the SHA-256 of the token is
-- stored (the token is 256 random bits, never stored or logged). Every auth node reads the same
-- row, so the second step may reach any node. A challenge is bound to the password version of
-- the first step (the user service answers "stale" when it changed since), lives
-- MFA_TOKEN_TTL_SECONDS, is claimed one attempt at a time (at most 5 codes are ever checked) and
-- is finished once (used_at).
CREATE TABLE mfa_challenges (
  token_hash       bytea       PRIMARY KEY,
  user_id          uuid        NOT NULL,
  password_version bigint      NOT NULL,
  attempts         int         NOT NULL DEFAULT 0,
  created_at       timestamptz NOT NULL DEFAULT now(),
  expires_at       timestamptz NOT NULL,
  used_at          timestamptz,
  -- of the first step: the session the second step opens records them
  ip               text,
  user_agent       text
);

-- a password change, a disable, a deletion or the factor's removal kills the user's open challenges
CREATE INDEX mfa_challenges_user_id_idx ON mfa_challenges (user_id);
-- the retention deletes challenges some time after they expired (docs/OPERATING.md, "Table sizes")
CREATE INDEX mfa_challenges_expires_at_idx ON mfa_challenges (expires_at);

-- How each session was authenticated. Every session before this release was a password login.
-- Not indexed: a rotation reads it in the statement it already runs and must stay a HOT update.
ALTER TABLE sessions ADD COLUMN amr text[] NOT NULL DEFAULT '{pwd}';
