-- Emails are compared by a key computed in Java (io.latchkey.common.LoginKeys: NFKC and a case
-- fold), never by PostgreSQL's lower(): the two disagree on case (Greek final sigma, dotless i,
-- sharp s...), so a lookup by lower() could miss an address Java considers the same, and
-- uniqueness could let two such addresses in. The key is written by the service with every
-- insert and email change; rows older than this migration get theirs from the service's start
-- (UserModule.prepare fills every NULL key in Java before the service listens).
ALTER TABLE users ADD COLUMN email_key text;

-- Unique by the key alone; the loser of two concurrent registrations gets SQLSTATE 23505 naming
-- this index (the service maps it to 409 email_taken). NULLs (rows not yet keyed) never collide.
CREATE UNIQUE INDEX users_email_key_key ON users (email_key);
DROP INDEX users_email_lower_key;

-- The start-up fill finds the rows still without a key at once.
CREATE INDEX users_email_key_missing ON users (id) WHERE email_key IS NULL;
