-- Bounded tables (docs/OPERATING.md, "Table sizes"): the service's retention deletes what is past
-- its table's retention, in bounded batches, picking the oldest rows on an index of their time.

-- Delivered notices go OUTBOX_RETENTION_DAYS after their delivery (undelivered ones never): the
-- retention finds them on this index, which holds delivered rows only.
CREATE INDEX outbox_delivered ON outbox (delivered_at) WHERE delivered_at IS NOT NULL;

-- Sending the password-changed notice again (POST /users/{id}/password-changed) keeps the session
-- the change itself kept. That session id was read back from the newest such notice, which the
-- retention now deletes: it moves to the user's row, set with every password change (NULL: the
-- change kept no session, as a reset or an admin's change), and is filled here from the notices.
ALTER TABLE users ADD COLUMN password_kept_session text;
UPDATE users u SET password_kept_session = kept.keep_session_id
  FROM (SELECT DISTINCT ON (user_id) user_id, password_version, keep_session_id
          FROM outbox WHERE type = 'password_changed' ORDER BY user_id, id DESC) AS kept
 WHERE kept.user_id = u.id AND kept.password_version = u.password_version AND kept.keep_session_id IS NOT NULL;
