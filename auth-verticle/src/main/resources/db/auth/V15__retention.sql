-- Bounded tables (docs/OPERATING.md, "Table sizes"): the service's retention deletes what is past
-- its table's retention, in bounded batches, picking the oldest rows on an index of their time.

-- A session goes once its refresh window (or its absolute lifetime, or its revocation) lies an
-- access-token lifetime and a margin in the past. expires_at and revoked_at have their indexes
-- (V1); the sliding refresh window gets its own, so that sessions left idle past it are found
-- without a scan (they are most of the ended ones).
CREATE INDEX sessions_refresh_expires_at_idx ON sessions (refresh_expires_at);

-- Retired refresh-token hashes go once they are older than the refresh-token lifetime.
CREATE INDEX retired_refresh_tokens_retired_at_idx ON retired_refresh_tokens (retired_at);
