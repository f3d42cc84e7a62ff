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
WITH seeded AS (
  -- thirteen independent draws of 16 bits (0..65535) per user, from two MD5s of its number
  SELECT i,
         md5('latchkey-seed-user-' || i)::uuid AS id,
         ('x' || substr(h, 1, 4))::bit(16)::int AS r1,
         ('x' || substr(h, 5, 4))::bit(16)::int AS r2,
         ('x' || substr(h, 9, 4))::bit(16)::int AS r3,
         ('x' || substr(h, 13, 4))::bit(16)::int AS r4,
         ('x' || substr(h, 17, 4))::bit(16)::int AS r5,
         ('x' || substr(h, 21, 4))::bit(16)::int AS r6,
         ('x' || substr(h, 25, 4))::bit(16)::int AS r7,
         ('x' || substr(h, 29, 4))::bit(16)::int AS r8,
         ('x' || substr(g, 1, 4))::bit(16)::int AS r9,
         ('x' || substr(g, 5, 4))::bit(16)::int AS r10,
         ('x' || substr(g, 9, 4))::bit(16)::int AS r11,
         ('x' || substr(g, 13, 4))::bit(16)::int AS r12,
         ('x' || substr(g, 17, 4))::bit(16)::int AS r13
    FROM generate_series(:first::bigint, :last::bigint) AS i,
         LATERAL md5('latchkey-seed-user-' || i || '-a') AS h,
         LATERAL md5('latchkey-seed-user-' || i || '-b') AS g
), named AS (
  SELECT s.*,
         (ARRAY['Anna', 'Ben', 'Carla', 'David', 'Elena', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jonas', 'Kofi',
                'Lena', 'Mateo', 'Nora', 'Omar', 'Priya', 'Quinn', 'Rosa', 'Sven', 'Tara', 'Umar', 'Vera',
                'Wei', 'Ximena', 'Yusuf', 'Zoe', 'Aiko', 'Bruno', 'Chen', 'Dana', 'Emil', 'Fatima', 'Goran',
                'Hana', 'Ivan', 'Julia', 'Karim', 'Lucia', 'Marta', 'Nils', 'Olga', 'Pavel', 'Rahul', 'Sara',
                'Tomas', 'Ula', 'Viktor', 'Wanda', 'Yara', 'Zain', 'Alice', 'Bernd', 'Clara', 'Diego', 'Eva',
                'Felix', 'Gina', 'Hugo', 'Irene', 'Jamal', 'Kira', 'Leo', 'Mia', 'Noah'])[1 + r1 % 64] AS first,
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
                  'Bell', 'Gomez', 'Kelly', 'Howard', 'Ward', 'Cox'])[1 + r2 % 64]
         END AS last,
         (ARRAY['amber', 'brisk', 'calm', 'dusty', 'eager', 'fuzzy', 'gentle', 'happy', 'icy', 'jolly', 'keen',
                'lucky', 'mellow', 'noble', 'odd', 'proud', 'quiet', 'rapid', 'silent', 'tidy', 'urban', 'vivid',
                'witty', 'young', 'zesty', 'bold', 'clever', 'daring', 'early', 'fancy', 'golden', 'humble'])[1 + r3 % 32] AS adjective,
         (ARRAY['falcon', 'otter', 'badger', 'heron', 'lynx', 'marten', 'panda', 'raven', 'salmon', 'tiger',
                'walrus', 'yak', 'zebra', 'beaver', 'cobra', 'dingo', 'eagle', 'ferret', 'gecko', 'hyena', 'ibis',
                'jackal', 'koala', 'lemur', 'moose', 'newt', 'ocelot', 'puffin', 'quail', 'robin', 'stork', 'toad'])[1 + r4 % 32] AS animal,
         CASE WHEN r5 % 100 < 85 THEN
           (ARRAY['example.com', 'mail.example.org', 'example.net', 'post.example.com', 'inbox.example.net'])[1 + r6 % 5]
         ELSE
           (ARRAY['latch.test', 'corp.test', 'uni.test'])[1 + r6 % 3]
         END AS domain
    FROM seeded s
)
INSERT INTO users.users (id, username, email, email_key, display_name, roles, password_hash, password_version,
                         password_changed_at, created_at, updated_at, email_verified)
SELECT n.id,
       CASE n.r7 % 10
         WHEN 0 THEN lower(n.first) || n.i
         WHEN 1 THEN lower(n.first) || n.i
         WHEN 2 THEN lower(n.first) || n.i
         WHEN 3 THEN n.adjective || '_' || n.animal || n.i
         WHEN 4 THEN n.adjective || '_' || n.animal || n.i
         WHEN 5 THEN n.adjective || '_' || n.animal || n.i
         ELSE lower(n.first) || '.' || lower(n.last) || n.i
       END,
       lower(n.first) || '.' || lower(n.last) || n.i || '@' || n.domain,
       lower(n.first) || '.' || lower(n.last) || n.i || '@' || n.domain,
       CASE WHEN n.r8 % 20 < 2 THEN NULL
            WHEN n.r8 % 20 < 5 THEN initcap(n.adjective) || ' ' || initcap(n.animal)
            ELSE n.first || ' ' || n.last END,
       CASE WHEN n.r12 % 1000 = 999 THEN ARRAY['user', 'admin'] ELSE ARRAY['user'] END,
       -- NULL (the insert fails on the NOT NULL column) when the template user does not exist
       (SELECT password_hash FROM users.users WHERE username = :'template'),
       CASE WHEN c.password_changed THEN 2 ELSE 1 END,
       c.password_changed_at,
       c.created_at,
       greatest(c.password_changed_at, c.roles_changed_at),
       n.r9 % 10 < 7
  FROM named n
  CROSS JOIN LATERAL (SELECT now() - interval '30 days' - (10000000 - n.i) * interval '10 seconds' AS created_at) t
  CROSS JOIN LATERAL (
    SELECT t.created_at,
           n.r10 % 20 = 0 AS password_changed,
           CASE WHEN n.r10 % 20 = 0 THEN t.created_at + (now() - t.created_at) * (n.r11 / 65536.0) ELSE t.created_at END
             AS password_changed_at,
           CASE WHEN n.r12 % 1000 = 999 THEN t.created_at + (now() - t.created_at) * (n.r13 / 65536.0) ELSE t.created_at END
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
