-- Refresh tokens now carry their session id and generation under a MAC (RefreshTokens): an older
-- token of a session is recognised by its generation, so a rotation adds no row anywhere.
--
-- refresh_generation: the generation of the session's current token (0 at login, +1 a rotation).
-- rotated_at:         when the current token replaced its predecessor (the retry grace); NULL
--                     while the session never rotated.
-- legacy_hash:        SHA-256 of the token a live session held when this migration ran (the old
--                     format: 256 random bits, no session inside, found by hash). It stays after
--                     that token rotates, so presenting it again is still recognised (it counts as
--                     generation 0); NULL for sessions opened since.
ALTER TABLE sessions
  ADD COLUMN refresh_generation bigint NOT NULL DEFAULT 0,
  ADD COLUMN rotated_at         timestamptz,
  ADD COLUMN legacy_hash        bytea;

-- Sessions that can still be refreshed keep their legacy token; the time of their last rotation
-- is the newest retired token's (a retry of it inside the grace still gets the same successor).
-- Revoked and ended sessions need nothing: their tokens are refused whatever they are.
UPDATE sessions s
   SET legacy_hash = s.current_hash,
       rotated_at = (SELECT max(r.retired_at) FROM retired_refresh_tokens r WHERE r.session_id = s.id)
 WHERE s.revoked_at IS NULL AND s.refresh_expires_at > now() AND s.expires_at > now();

CREATE UNIQUE INDEX sessions_legacy_hash_key ON sessions (legacy_hash) WHERE legacy_hash IS NOT NULL;

-- New tokens are found by their session id (the primary key): current_hash needs no index of its
-- own, and a rotation (which changes no indexed column now) touches no index at all when
-- PostgreSQL can keep the new row version on the same page (a HOT update).
ALTER TABLE sessions DROP CONSTRAINT sessions_current_hash_key;

-- Kept only for tokens rotated before this migration: no rows are added any more, the session
-- cleanup deletes the rows older than the refresh-token lifetime, and a later release drops the
-- table (docs/OPERATING.md, "Refresh tokens").
COMMENT ON TABLE retired_refresh_tokens IS
  'Legacy (before V14): hashes of refresh tokens rotated before V14; read-only, emptied by the session cleanup';
