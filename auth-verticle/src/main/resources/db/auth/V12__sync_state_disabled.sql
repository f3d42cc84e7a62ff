-- Whether the user service disabled the user, as its USER_DISABLED / USER_ENABLED notices said,
-- kept durably next to the password version, the deleted flag and updated_at_floor. A login
-- that read the credentials before a disable and opens its session after it sees the flag
-- (SessionService.open re-reads this row after its insert), so no session of a disabled user
-- survives. disabled_changed_at is the occurredAt of the notice that set the flag: a notice
-- older than it never overrides it (the notices of one user arrive in order; this makes the flag
-- right even if one did not). NULL: no such notice yet.
ALTER TABLE user_sync_state ADD COLUMN disabled boolean NOT NULL DEFAULT false;
ALTER TABLE user_sync_state ADD COLUMN disabled_changed_at timestamptz;
