-- Seeds the users numbered :first .. :last into users.users (scripts/bench.sh --seed-users / --scale;
-- docs/BENCHMARKS.md, "At scale"). Run by psql with the variables first, last and template: the
-- username of a user registered through the API, whose bcrypt hash (made by the service at the
-- benchmark's cost, of the benchmark's own password) every seeded user gets; the hash never
-- leaves the database.
--
-- Everything is a function of the user's number i, so two runs seed the same users:
--   id            md5('latchkey-seed-user-' || i) as a UUID (the session seeding finds users by it)
--   username      one of three shapes, ending in i (unique): "nora.garcia4711", "amber_falcon4711", "nora4711"
--   email         first.last<i>@<domain>: ~85 % under an example.* domain (the common search term
--                 "example"), the rest under *.test; lower case ASCII, so email_key = email
--   display name  "Nora Garcia" (75 %), a nickname "Amber Falcon" (15 %), none (10 %); one user in
--                 1,000 (i % 1000 = 7) has one of 300 rare surnames instead ("Quzzane", "Zyrvoth", ...):
--                 the rare search term "quzzane" matches 1 user at 100k users, 4 at 1M
--   created_at    increasing with i (10 s apart, user 10,000,000 30 days old): the table's physical order
--                 follows created_at as in a real table, and the seeded users are older than the
--                 users the benchmark registers through the API
--   the rest      5 % changed their password once (version 2), 0.1 % became admins (a roles change),
--                 70 % verified their address
-- and the auth service's state of a population that lived (schema auth): the password version
-- and roles change each of those users' notices left in user_sync_state and user_token_state, and
-- 1 user in 500 deleted (their sync state and raised token generation stay; their sessions went).
-- Columns not named here keep their defaults (so a later migration's new columns need nothing here).
-- draw(d, k): the k-th of sixteen independent 16-bit draws (0..65535) in d, 32 bytes of MD5s
CREATE FUNCTION pg_temp.draw(d bytea, k int) RETURNS int LANGUAGE sql IMMUTABLE
  AS $$ SELECT get_byte(d, 2 * k) * 256 + get_byte(d, 2 * k + 1) $$;

WITH seeded AS (
  -- d computed once per user in FROM (as an expression it would be computed at every draw)
  SELECT i, md5('latchkey-seed-user-' || i)::uuid AS id, d
    FROM generate_series(:first::bigint, :last::bigint) AS i,
         LATERAL decode(md5('latchkey-seed-user-' || i || '-a') || md5('latchkey-seed-user-' || i || '-b'), 'hex') AS d
), named AS (
  SELECT s.*,
         (ARRAY['Anna', 'Ben', 'Carla', 'David', 'Elena', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jonas', 'Kofi',
                'Lena', 'Mateo', 'Nora', 'Omar', 'Priya', 'Quinn', 'Rosa', 'Sven', 'Tara', 'Umar', 'Vera',
                'Wei', 'Ximena', 'Yusuf', 'Zoe', 'Aiko', 'Bruno', 'Chen', 'Dana', 'Emil', 'Fatima', 'Goran',
                'Hana', 'Ivan', 'Julia', 'Karim', 'Lucia', 'Marta', 'Nils', 'Olga', 'Pavel', 'Rahul', 'Sara',
                'Tomas', 'Ula', 'Viktor', 'Wanda', 'Yara', 'Zain', 'Alice', 'Bernd', 'Clara', 'Diego', 'Eva',
                'Felix', 'Gina', 'Hugo', 'Irene', 'Jamal', 'Kira', 'Leo', 'Mia', 'Noah'])[1 + pg_temp.draw(d, 0) % 64] AS first,
         CASE WHEN i % 1000 = 7 THEN
           -- the rare surnames: 10 x 10 x 3 syllables, each used by 1 in 300,000 users
           (ARRAY['Qu', 'Zy', 'Xa', 'Vex', 'Jhu', 'Pyr', 'Wy', 'Kro', 'Ul', 'Yth'])[1 + (i / 1000) % 10]
             || (ARRAY['zz', 'rv', 'lq', 'xt', 'mb', 'kh', 'gw', 'dr', 'ph', 'sk'])[1 + (i / 10000) % 10]
             || (ARRAY['ane', 'oth', 'ix'])[1 + (i / 100000) % 3]
         ELSE
           (ARRAY['Smith', 'Garcia', 'Mueller', 'Rossi', 'Silva', 'Kim', 'Nguyen', 'Novak', 'Jensen', 'Kowalski',
                  'Martin', 'Bernard', 'Dubois', 'Lopez', 'Gonzalez', 'Perez', 'Schmidt', 'Schneider', 'Fischer',
                  'Weber', 'Meyer', 'Wagner', 'Becker', 'Hoffmann', 'Brown', 'Wilson', 'Taylor', 'Moore', 'Clark',
                  'Walker', 'Young', 'King', 'Wright', 'Hill', 'Green', 'Adams', 'Baker', 'Nelson', 'Carter',
                  'Mitchell', 'Roberts', 'Turner', 'Phillips', 'Campbell', 'Parker', 'Evans', 'Edwards', 'Collins',
                  'Stewart', 'Morris', 'Murphy', 'Cook', 'Rogers', 'Morgan', 'Cooper', 'Peterson', 'Reed', 'Bailey',
                  'Bell', 'Gomez', 'Kelly', 'Howard', 'Ward', 'Cox'])[1 + pg_temp.draw(d, 1) % 64]
         END AS last,
         (ARRAY['amber', 'brisk', 'calm', 'dusty', 'eager', 'fuzzy', 'gentle', 'happy', 'icy', 'jolly', 'keen',
                'lucky', 'mellow', 'noble', 'odd', 'proud', 'quiet', 'rapid', 'silent', 'tidy', 'urban', 'vivid',
                'witty', 'young', 'zesty', 'bold', 'clever', 'daring', 'early', 'fancy', 'golden', 'humble'])[1 + pg_temp.draw(d, 2) % 32] AS adjective,
         (ARRAY['falcon', 'otter', 'badger', 'heron', 'lynx', 'marten', 'panda', 'raven', 'salmon', 'tiger',
                'walrus', 'yak', 'zebra', 'beaver', 'cobra', 'dingo', 'eagle', 'ferret', 'gecko', 'hyena', 'ibis',
                'jackal', 'koala', 'lemur', 'moose', 'newt', 'ocelot', 'puffin', 'quail', 'robin', 'stork', 'toad'])[1 + pg_temp.draw(d, 3) % 32] AS animal,
         CASE WHEN pg_temp.draw(d, 4) % 100 < 85 THEN
           (ARRAY['example.com', 'mail.example.org', 'example.net', 'post.example.com', 'inbox.example.net'])[1 + pg_temp.draw(d, 5) % 5]
         ELSE
           (ARRAY['latch.test', 'corp.test', 'uni.test'])[1 + pg_temp.draw(d, 5) % 3]
         END AS domain
    FROM seeded s
)
INSERT INTO users.users (id, username, email, email_key, display_name, roles, password_hash, password_version,
                         password_changed_at, created_at, updated_at, email_verified)
SELECT n.id,
       CASE WHEN pg_temp.draw(n.d, 6) % 10 < 3 THEN lower(n.first) || n.i
            WHEN pg_temp.draw(n.d, 6) % 10 < 6 THEN n.adjective || '_' || n.animal || n.i
            ELSE lower(n.first) || '.' || lower(n.last) || n.i END,
       lower(n.first) || '.' || lower(n.last) || n.i || '@' || n.domain,
       lower(n.first) || '.' || lower(n.last) || n.i || '@' || n.domain,
       CASE WHEN pg_temp.draw(n.d, 7) % 20 < 2 THEN NULL
            WHEN pg_temp.draw(n.d, 7) % 20 < 5 THEN initcap(n.adjective) || ' ' || initcap(n.animal)
            ELSE n.first || ' ' || n.last END,
       CASE WHEN pg_temp.draw(n.d, 11) % 1000 = 999 THEN ARRAY['user', 'admin'] ELSE ARRAY['user'] END,
       -- NULL (the insert fails on the NOT NULL column) when the template user does not exist
       (SELECT password_hash FROM users.users WHERE username = :'template'),
       CASE WHEN c.password_changed THEN 2 ELSE 1 END,
       c.password_changed_at,
       c.created_at,
       greatest(c.password_changed_at, c.roles_changed_at),
       pg_temp.draw(n.d, 8) % 10 < 7
  FROM named n
  CROSS JOIN LATERAL (SELECT now() - interval '30 days' - (10000000 - n.i) * interval '10 seconds' AS created_at) t
  CROSS JOIN LATERAL (
    SELECT t.created_at,
           pg_temp.draw(n.d, 9) % 20 = 0 AS password_changed,
           CASE WHEN pg_temp.draw(n.d, 9) % 20 = 0 THEN t.created_at + (now() - t.created_at) * (pg_temp.draw(n.d, 10) / 65536.0) ELSE t.created_at END
             AS password_changed_at,
           CASE WHEN pg_temp.draw(n.d, 11) % 1000 = 999 THEN t.created_at + (now() - t.created_at) * (pg_temp.draw(n.d, 12) / 65536.0) ELSE t.created_at END
             AS roles_changed_at
  ) c;

-- What the password-changed and roles-changed notices of these users left in the auth service.
INSERT INTO auth.user_sync_state (user_id, password_version, updated_at, updated_at_floor)
SELECT id, password_version, updated_at, CASE WHEN 'admin' = ANY (roles) THEN updated_at END
  FROM users.users
 WHERE id IN (SELECT md5('latchkey-seed-user-' || i)::uuid FROM generate_series(:first::bigint, :last::bigint) AS i)
   AND (password_version > 1 OR 'admin' = ANY (roles));

-- A roles change raises the user's token generation (older access tokens are refused).
INSERT INTO auth.user_token_state (user_id, generation, updated_at)
SELECT id, 1, updated_at
  FROM users.users
 WHERE id IN (SELECT md5('latchkey-seed-user-' || i)::uuid FROM generate_series(:first::bigint, :last::bigint) AS i)
   AND 'admin' = ANY (roles);

-- Users deleted long ago: gone from users.users, their sync state and token generation remain.
WITH deleted AS (
  SELECT md5('latchkey-seed-deleted-' || i)::uuid AS user_id,
         now() - interval '2 hours' - (i % 2000) * interval '10 minutes' AS deleted_at
    FROM generate_series(:first::bigint, :last::bigint) AS i
   WHERE i % 500 = 3
), sync AS (
  INSERT INTO auth.user_sync_state (user_id, password_version, deleted, updated_at)
  SELECT user_id, 1, true, deleted_at FROM deleted
)
INSERT INTO auth.user_token_state (user_id, generation, updated_at)
SELECT user_id, 1, deleted_at FROM deleted;
