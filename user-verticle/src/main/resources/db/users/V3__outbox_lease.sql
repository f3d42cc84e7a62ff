-- The relay claims a notice with a short lease instead of holding its row lock (and a pooled
-- connection) across the event-bus round trip to the auth service. While the lease runs no
-- other relay sends this user's notices; a relay that dies mid-delivery loses its lease when
-- it expires, and another relay sends the notice again (the auth service deduplicates by id).
ALTER TABLE outbox ADD COLUMN lease_until timestamptz;
ALTER TABLE outbox ADD COLUMN lease_owner uuid;
