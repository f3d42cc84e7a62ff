-- V15 indexed sessions.refresh_expires_at so that the retention finds sessions left idle past
-- their refresh window. But every rotation moves refresh_expires_at, and an update that changes
-- a column any index covers cannot be a HOT update: each refresh then wrote an entry into every
-- index of sessions again (V14 had dropped the index on current_hash for exactly that reason).
-- The retention needs that time only to the hour. lapse_hour is the end of the refresh window
-- rounded up to the next full hour (UTC), kept by PostgreSQL itself; a rotation that moves the
-- window within the same hour leaves it, and so every index, unchanged, and stays a HOT update
-- (a client refreshing every 15 minutes changes it once in four). A session left idle is
-- deleted at most an hour later than its refresh window alone would allow.

-- Adding a fixed number of hours to a timestamptz does not depend on the time zone (only days
-- and months do), so this is immutable, as a generated column needs.
CREATE FUNCTION lapse_hour(refresh_expires_at timestamptz) RETURNS timestamptz
  LANGUAGE sql IMMUTABLE PARALLEL SAFE
  RETURN date_bin('1 hour', refresh_expires_at, timestamptz '2000-01-01 00:00:00+00') + interval '1 hour';

ALTER TABLE sessions ADD COLUMN lapse_hour timestamptz GENERATED ALWAYS AS (lapse_hour(refresh_expires_at)) STORED;
CREATE INDEX sessions_lapse_hour_idx ON sessions (lapse_hour);
DROP INDEX sessions_refresh_expires_at_idx;
