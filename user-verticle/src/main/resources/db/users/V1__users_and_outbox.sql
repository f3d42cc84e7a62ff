-- The user service's own schema (Flyway runs with schema "users" as default schema).

CREATE TABLE users (
  id                  uuid        PRIMARY KEY,
  username            text        NOT NULL,
  email               text        NOT NULL,
  display_name        text,
  roles               text[]      NOT NULL DEFAULT ARRAY['user'],
  password_hash       text        NOT NULL,
  password_version    bigint      NOT NULL DEFAULT 1,
  password_changed_at timestamptz NOT NULL DEFAULT now(),
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT users_roles_known CHECK (roles <@ ARRAY['user', 'admin'] AND cardinality(roles) > 0)
);

-- Unique without regard to case: two concurrent registrations of one name meet here, and the
-- loser's SQLSTATE 23505 names one of these indexes (the service maps it to 409).
CREATE UNIQUE INDEX users_username_lower_key ON users (lower(username));
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

-- The stable order the search pages through.
CREATE INDEX users_created_at_id ON users (created_at, id);

-- Notices for the auth service, written in the same transaction as the change they describe.
-- No foreign key to users: the notice of a deleted user must outlive the user.
CREATE TABLE outbox (
  id               bigserial   PRIMARY KEY,
  user_id          uuid        NOT NULL,
  type             text        NOT NULL
    CHECK (type IN ('password_changed', 'user_deleted', 'email_changed', 'roles_changed')),
  password_version bigint,
  keep_session_id  text,
  request_id       text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  attempts         integer     NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  last_error       text,
  delivered_at     timestamptz
);

-- The relay looks for the oldest undelivered notice of each user.
CREATE INDEX outbox_undelivered ON outbox (user_id, id) WHERE delivered_at IS NULL;
