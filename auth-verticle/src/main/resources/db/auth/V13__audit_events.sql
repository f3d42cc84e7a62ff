-- The durable audit trail of the auth service: one row per event, written in the transaction
-- of the change it records (io.latchkey.common.audit). Rows are never updated; they are deleted
-- AUDIT_RETENTION_DAYS after their time, in batches. The same table exists in schema users.
-- No secret is ever stored here: no password, hash, token or key (an API key only as its
-- fingerprint in actor).
CREATE TABLE audit_events (
  id         uuid        PRIMARY KEY,
  time       timestamptz NOT NULL,
  type       text        NOT NULL,
  user_id    uuid,
  session_id text,
  actor      text,
  ip         text,
  user_agent text,
  request_id text,
  outcome    text        NOT NULL,
  reason     text
);

-- GET /admin/audit-events lists newest first by (time, id), a total order that never changes
-- for a row; each filter has an index whose order is that of the listing, so a page reads
-- about limit + 1 index entries whatever the table's size. The plain (time, id) index also
-- serves since/until and the retention's deletion of the oldest rows.
CREATE INDEX audit_events_time ON audit_events (time DESC, id DESC);
CREATE INDEX audit_events_user_time ON audit_events (user_id, time DESC, id DESC);
CREATE INDEX audit_events_type_time ON audit_events (type, time DESC, id DESC);
