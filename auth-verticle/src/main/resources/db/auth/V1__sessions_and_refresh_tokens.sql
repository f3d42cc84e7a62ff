-- Sessions, their refresh tokens (only SHA-256 hashes, never the tokens) and the per-user token
-- generation used to invalidate access tokens on a roles change or a deletion.

CREATE TABLE sessions (
  id                 uuid        PRIMARY KEY,
  user_id            uuid        NOT NULL,
  username           text        NOT NULL,
  -- roles carried by the access tokens of this session; kept current by roles changes
  roles              text[]      NOT NULL,
  -- the user's token generation these roles were read at; below the user's current generation
  -- (a roles change whose new roles could not be stored yet) the next refresh fetches them first
  roles_generation   bigint      NOT NULL DEFAULT 0,
  password_version   bigint      NOT NULL,
  -- SHA-256 of the refresh token that may be presented now
  current_hash       bytea       NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now(),
  last_used_at       timestamptz NOT NULL DEFAULT now(),
  -- sliding: refresh lifetime after the last rotation, never past expires_at
  refresh_expires_at timestamptz NOT NULL,
  -- absolute end of the session
  expires_at         timestamptz NOT NULL,
  user_agent         text,
  ip                 text,
  revoked_at         timestamptz,
  revoked_reason     text,
  CONSTRAINT sessions_current_hash_key UNIQUE (current_hash)
);

CREATE INDEX sessions_user_id_idx ON sessions (user_id);
CREATE INDEX sessions_revoked_at_idx ON sessions (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX sessions_expires_at_idx ON sessions (expires_at);

-- Every refresh token a session has rotated away from: presenting one again is reuse (unless it
-- is the one just rotated and the grace has not passed).
CREATE TABLE retired_refresh_tokens (
  hash       bytea       PRIMARY KEY,
  session_id uuid        NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
  retired_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX retired_refresh_tokens_session_idx ON retired_refresh_tokens (session_id);

-- The generation of a user's access tokens: raised by a roles change or a deletion; tokens
-- carry the generation they were issued under ("gen") and older ones are refused.
CREATE TABLE user_token_state (
  user_id    uuid        PRIMARY KEY,
  generation bigint      NOT NULL DEFAULT 0,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX user_token_state_updated_at_idx ON user_token_state (updated_at);
