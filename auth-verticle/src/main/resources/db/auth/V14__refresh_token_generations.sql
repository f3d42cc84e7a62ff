-- Refresh tokens now carry their session id and generation under a MAC (RefreshTokens): an older
-- token of a session is recognised by its generation, so a rotation adds no row anywhere.
--
-- refresh_generation: the generation of the session's current token (0 at login, +1 a rotation).
-- rotated_at:         when the current token replaced its predecessor (the retry grace); NULL
--                     while the session has not rotated since V14.
-- Both columns have constant defaults (kept in the catalog): adding them rewrites no row.
ALTER TABLE sessions
  ADD COLUMN refresh_generation bigint NOT NULL DEFAULT 0,
  ADD COLUMN rotated_at         timestamptz;

-- The token each live session holds now is of the old format (256 random bits, no session
-- inside) and can only be found by its hash. Its hash is kept here, not in an index on
-- sessions.current_hash: every rotation changes current_hash, and a column any index covers (a
-- partial one too) rules out HOT updates. The row stays after that token rotates (it is the
-- session's generation 0, so presenting it again is reuse) and goes with its session. One narrow
-- row per live session, written once: the table is locked by the ALTER above until this commits,
-- so the copy sees every session as it is.
CREATE TABLE legacy_refresh_tokens (
  hash       bytea PRIMARY KEY,
  session_id uuid  NOT NULL
);

INSERT INTO legacy_refresh_tokens (hash, session_id)
SELECT current_hash, id FROM sessions
 WHERE revoked_at IS NULL AND refresh_expires_at > now() AND expires_at > now();

ALTER TABLE legacy_refresh_tokens
  ADD CONSTRAINT legacy_refresh_tokens_session_fkey FOREIGN KEY (session_id) REFERENCES sessions (id) ON DELETE CASCADE;
CREATE INDEX legacy_refresh_tokens_session_idx ON legacy_refresh_tokens (session_id);

-- New tokens are found by their session id (the primary key): a rotation now changes no indexed
-- column, so PostgreSQL can keep the new row version on the same page without touching any index.
ALTER TABLE sessions DROP CONSTRAINT sessions_current_hash_key;

-- Kept only for tokens rotated before this migration: no rows are added any more, the retention
-- deletes the rows older than the refresh-token lifetime, and a later release drops it with
-- legacy_refresh_tokens (docs/OPERATING.md, "Refresh tokens").
COMMENT ON TABLE retired_refresh_tokens IS
  'Hashes of refresh tokens rotated before V14: read only, emptied by the retention, dropped by a later release';
COMMENT ON TABLE legacy_refresh_tokens IS
  'Hashes of the refresh tokens sessions held at V14 (generation 0 of each): read only, dropped by a later release';
