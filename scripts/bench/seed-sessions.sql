-- Seeds the sessions numbered :first .. :last into auth.sessions (scripts/bench.sh --seed-sessions /
-- --scale; docs/BENCHMARKS.md, "At scale"), spread uniformly over the seeded users 1 .. :users
-- (scripts/bench/seed-users.sql made them; a user has 1 session on average, many none, a few
-- several). psql variables: first, last, users; refresh_ttl and max_lifetime (seconds, the auth
-- service's refreshTokenTtlSeconds and sessionMaxLifetimeSeconds); keep (seconds: how long the
-- service's cleanup keeps an ended session, the access-token lifetime + 300 s).
--
-- The population of a service that has run for months with its cleanup on:
--   99 %   live: created over the last 30 days, last used between then and now, the sliding
--          refresh expiry refresh_ttl after the last use (never past the absolute end,
--          max_lifetime after the creation)
--   0.5 %  revoked (logout, logout-all, a deleted session, a password change) within the last
--          `keep` seconds: older revoked sessions the cleanup has deleted already
--   0.5 %  ended (their refresh expiry passed) within the last `keep` seconds, for the same reason
-- current_hash is random (SHA-256 of a random UUID), as the SHA-256 of a random refresh token is;
-- the session ids are random UUIDs, as the service makes them. roles, the password version and the
-- roles generation are the user's. Columns not named here keep their defaults, so columns a later
-- migration adds need nothing here.

-- draw(d, k): the k-th of eight independent 16-bit draws (0..65535) in d, the 16 bytes of an MD5
CREATE FUNCTION pg_temp.draw(d bytea, k int) RETURNS int LANGUAGE sql IMMUTABLE
  AS $$ SELECT get_byte(d, 2 * k) * 256 + get_byte(d, 2 * k + 1) $$;

INSERT INTO auth.sessions (id, user_id, username, roles, roles_generation, password_version, current_hash,
                           created_at, last_used_at, refresh_expires_at, expires_at, user_agent, ip,
                           revoked_at, revoked_reason)
SELECT gen_random_uuid(), u.id, u.username, u.roles, coalesce(g.generation, 0), u.password_version,
       sha256(uuid_send(gen_random_uuid())),
       t.created_at, t.last_used_at,
       least(t.last_used_at + :refresh_ttl * interval '1 second', t.created_at + :max_lifetime * interval '1 second'),
       t.created_at + :max_lifetime * interval '1 second',
       (ARRAY['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
              'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
              'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148',
              'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0',
              'Mozilla/5.0 (Linux; Android 15) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36',
              'okhttp/4.12.0', 'curl/8.5.0', NULL])[1 + pg_temp.draw(d.d, 6) % 8],
       (ARRAY['198.51.100.', '203.0.113.', '192.0.2.', '10.20.0.'])[1 + pg_temp.draw(d.d, 7) % 4] || (pg_temp.draw(d.d, 7) % 250 + 1),
       t.revoked_at,
       CASE WHEN t.revoked_at IS NULL THEN NULL
            ELSE (ARRAY['logout', 'logout', 'logout', 'logout_all', 'session_deleted', 'password_changed'])[1 + pg_temp.draw(d.d, 7) % 6] END
  FROM (
    -- d computed once per session in FROM (as an expression it would be computed at every draw)
    SELECT s, d
      FROM generate_series(:first::bigint, :last::bigint) AS s,
           LATERAL decode(md5('latchkey-seed-session-' || s), 'hex') AS d
  ) d
  JOIN users.users u ON u.id = md5('latchkey-seed-user-' || (1 + (pg_temp.draw(d.d, 0) * 65536::bigint + pg_temp.draw(d.d, 1)) % :users))::uuid
  LEFT JOIN auth.user_token_state g ON g.user_id = u.id
  CROSS JOIN LATERAL (
    SELECT CASE WHEN pg_temp.draw(d.d, 5) % 200 = 0 THEN
             -- ended: the refresh expiry passed within the cleanup's window
             now() - (pg_temp.draw(d.d, 2) / 65536.0) * :keep * interval '1 second' - :refresh_ttl * interval '1 second'
                   - (pg_temp.draw(d.d, 3) / 65536.0) * interval '30 days'
           ELSE now() - (pg_temp.draw(d.d, 2) / 65536.0) * interval '30 days' END AS created_at,
           pg_temp.draw(d.d, 5) % 200 = 1 AS revoked
  ) c
  CROSS JOIN LATERAL (
    SELECT CASE WHEN c.revoked THEN greatest(c.created_at, now() - (pg_temp.draw(d.d, 3) / 65536.0) * :keep * interval '1 second') END
             AS revoked_at
  ) r
  CROSS JOIN LATERAL (
    SELECT c.created_at, r.revoked_at,
           CASE WHEN pg_temp.draw(d.d, 5) % 200 = 0 THEN
             now() - (pg_temp.draw(d.d, 2) / 65536.0) * :keep * interval '1 second' - :refresh_ttl * interval '1 second'
           -- a revoked session was last used before its revocation
           ELSE least(c.created_at + (now() - c.created_at) * (pg_temp.draw(d.d, 4) / 65536.0), r.revoked_at) END AS last_used_at
  ) t;
