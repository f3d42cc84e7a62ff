-- The newest user state (the user service's updated_at) a user-updated / roles-changed sync has
-- read, kept in PostgreSQL next to the password version and the deleted flag: a session opened
-- from credentials older than it may carry roles from before the change (see SessionService.open).
-- NULL: no such sync yet.
ALTER TABLE user_sync_state ADD COLUMN updated_at_floor timestamptz;
