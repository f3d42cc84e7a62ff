-- Part of the auth schema owned by login / password cache / sync.

-- What the user service's notices told this service about each user, kept so that a full
-- cluster restart forgets nothing: the highest password version announced (a cache fill never
-- installs an older one) and whether the user was deleted.
CREATE TABLE user_sync_state (
  user_id          uuid        PRIMARY KEY,
  password_version bigint      NOT NULL DEFAULT 0,
  deleted          boolean     NOT NULL DEFAULT false,
  last_event_id    bigint,
  updated_at       timestamptz NOT NULL DEFAULT now()
);

-- Notices already applied (event ids are the user service's outbox ids): a duplicate is
-- acknowledged without running again. Pruned after a retention period.
CREATE TABLE applied_user_notices (
  event_id   bigint      PRIMARY KEY,
  user_id    uuid        NOT NULL,
  type       text        NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX applied_user_notices_applied_at ON applied_user_notices (applied_at);
