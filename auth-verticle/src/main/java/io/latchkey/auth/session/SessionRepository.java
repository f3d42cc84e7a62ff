package io.latchkey.auth.session;

import io.latchkey.common.audit.AuditEvent;
import io.latchkey.common.audit.AuditTrail;
import io.latchkey.common.retention.RetentionRule;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The SQL of sessions, their refresh-token generations and hashes, and user token generations
 * (schema {@code auth}).
 * A session change the user made or caused (a login, a logout, a deleted session, a reused
 * refresh token) writes its audit event in the same statement: the event exists exactly when the
 * change committed.
 */
public final class SessionRepository {

  /** A session a statement revoked, and its user. */
  public record RevokedSession(String id, String userId) {
  }

  /** A session as a refresh or login needs it to issue tokens; {@code amr}: how it was authenticated. */
  public record LiveSession(String id, String userId, String username, List<String> roles, long generation,
                            long refreshExpiresIn, long expiresAtEpochSecond, List<String> amr) {
  }

  /**
   * A session as a refresh that did not rotate finds it: its current token's generation and hash,
   * whether that token replaced its predecessor within the grace, and whether it can be refreshed.
   */
  public record RefreshState(String sessionId, String userId, long generation, byte[] currentHash, boolean rotatedWithinGrace,
                             boolean revoked, boolean live, boolean rolesStale, long userGeneration, LiveSession session) {
  }

  /** The session a legacy token (before V14) belongs to, and whether it was rotated before V14 (then it is older than generation 0). */
  public record LegacyToken(UUID sessionId, boolean retiredBeforeV14) {
  }

  /** A row of GET /auth/sessions. */
  public record SessionView(String id, OffsetDateTime createdAt, OffsetDateTime lastUsedAt, OffsetDateTime expiresAt,
                            String userAgent, String ip, List<String> amr) {
  }

  private static final String GENERATION_OF = "coalesce((SELECT g.generation FROM auth.user_token_state g WHERE g.user_id = %s), 0)";

  private static final String INSERT = """
    WITH created AS (
      INSERT INTO auth.sessions (id, user_id, username, roles, roles_generation, password_version, current_hash,
                                 refresh_expires_at, expires_at, user_agent, ip, amr)
      VALUES ($1, $2, $3, $4, %s, $5, $6,
              now() + least($7::bigint, $8::bigint) * interval '1 second', now() + $8::bigint * interval '1 second', $9, $10,
              $11)
      RETURNING id, user_id, username, roles, roles_generation, refresh_expires_at, expires_at, amr
    ), audited AS (
      %s
    )
    SELECT c.id::text AS id, c.user_id::text AS user_id, c.username, c.roles, c.roles_generation AS generation,
           ceil(extract(epoch FROM c.refresh_expires_at - now()))::bigint AS refresh_expires_in,
           floor(extract(epoch FROM c.expires_at))::bigint AS expires_epoch, c.amr
      FROM created c
    """.formatted(GENERATION_OF.formatted("$2"),
      AuditTrail.insertSelect("auth", 12, "c.user_id", "c.id::text", null, "created c"));

  private static final String RETURNING_LIVE = """
    RETURNING id::text AS id, user_id::text AS user_id, username, roles, roles_generation AS generation,
              ceil(extract(epoch FROM refresh_expires_at - now()))::bigint AS refresh_expires_in,
              floor(extract(epoch FROM expires_at))::bigint AS expires_epoch, amr""";

  // One conditional statement by primary key: of N concurrent refreshes with one token exactly one
  // matches (the others wait for its row lock, then no longer match generation and hash). It adds
  // no row and changes no indexed column (lapse_hour, V16, at most once an hour), so PostgreSQL
  // can make it a HOT update.
  private static final String ROTATE = """
    UPDATE auth.sessions s
       SET current_hash = $4, refresh_generation = s.refresh_generation + 1, rotated_at = now(), last_used_at = now(),
           refresh_expires_at = least(now() + $5::bigint * interval '1 second', s.expires_at)
     WHERE s.id = $1 AND s.refresh_generation = $2 AND s.current_hash = $3 AND s.revoked_at IS NULL
       AND s.refresh_expires_at > now() AND s.expires_at > now()
       AND s.roles_generation >= %s
    """.formatted(GENERATION_OF.formatted("s.user_id")) + RETURNING_LIVE;

  private static final String LOOKUP = """
    SELECT s.id::text AS id, s.user_id::text AS user_id, s.username, s.roles, s.current_hash, s.refresh_generation,
           -- a session not rotated since V14: its last rotation is its newest retired row (if any)
           coalesce(coalesce(s.rotated_at, (SELECT max(r.retired_at) FROM auth.retired_refresh_tokens r WHERE r.session_id = s.id))
                    > now() - $2::bigint * interval '1 second', false) AS rotated_within_grace,
           s.revoked_at IS NOT NULL AS revoked,
           (s.refresh_expires_at > now() AND s.expires_at > now()) AS live,
           s.roles_generation, %s AS user_generation,
           ceil(extract(epoch FROM s.refresh_expires_at - now()))::bigint AS refresh_expires_in,
           floor(extract(epoch FROM s.expires_at))::bigint AS expires_epoch, s.amr
      FROM auth.sessions s WHERE s.id = $1
    """.formatted(GENERATION_OF.formatted("s.user_id"));

  // a legacy token is the one a session held at V14 (current or rotated since), or one rotated
  // before V14 (its retired row, until the retention deletes it)
  private static final String LEGACY_SESSIONS = """
    SELECT session_id AS id, false AS retired FROM auth.legacy_refresh_tokens WHERE hash = $%1$d
    UNION ALL
    SELECT session_id, true FROM auth.retired_refresh_tokens WHERE hash = $%1$d""";

  /**
   * Revokes the session a presented refresh token belongs to, with the audit event: the session
   * is found in one snapshot, in which a concurrent rotation has either not happened or
   * committed, and revoked by id (a refresh racing the logout cannot make it miss). The holder of
   * the session's refresh token acts as its user: the event's actor is that user.
   */
  private static final String REVOKE_PRESENTED = """
    WITH presented AS (
      %s
    ), revoked AS (
      UPDATE auth.sessions SET revoked_at = now(), revoked_reason = $1
       WHERE id IN (SELECT id FROM presented) AND revoked_at IS NULL
         AND refresh_expires_at > now() AND expires_at > now()
      RETURNING id, user_id
    ), audited AS (
      %s
    )
    SELECT id::text AS id, user_id::text AS user_id FROM revoked""";

  // the current token by its hash; the one just rotated by its successor's hash (what the
  // session holds now, whatever the secret was when the tag was made); an older one by its tag
  private static final String REVOKE_BY_TOKEN = REVOKE_PRESENTED.formatted("""
      SELECT id FROM auth.sessions
       WHERE id = $2 AND ((refresh_generation = $3 AND current_hash = $4)
                       OR (refresh_generation = $3 + 1 AND current_hash = $5)
                       OR ($6 AND refresh_generation > $3))""",
    AuditTrail.insertSelect("auth", 7, "r.user_id", "r.id::text", "r.user_id::text", "revoked r"));

  private static final String REVOKE_BY_LEGACY_TOKEN = REVOKE_PRESENTED.formatted(LEGACY_SESSIONS.formatted(2),
    AuditTrail.insertSelect("auth", 3, "r.user_id", "r.id::text", "r.user_id::text", "revoked r"));

  private final Pool pool;

  public SessionRepository(Pool pool) {
    this.pool = pool;
  }

  public Future<LiveSession> insert(UUID sessionId, UUID userId, String username, List<String> roles, long passwordVersion,
                                    byte[] refreshHash, long refreshTtlSeconds, long maxLifetimeSeconds, String userAgent,
                                    String ip, List<String> amr, AuditEvent loginSucceeded) {
    return pool.preparedQuery(INSERT)
      .execute(withDraft(Tuple.of(sessionId, userId, username, roles.toArray(String[]::new), passwordVersion, Buffer.buffer(refreshHash),
        refreshTtlSeconds, maxLifetimeSeconds).addValue(userAgent).addValue(ip).addValue(amr.toArray(String[]::new)), loginSucceeded))
      .map(rows -> live(rows.iterator().next()));
  }

  /**
   * Marks a session's roles as older than the user's generation (its roles generation one below
   * what it holds): tokens issued from it are refused and its next refresh fetches the roles.
   */
  public Future<LiveSession> markRolesStale(UUID sessionId) {
    return pool.preparedQuery("UPDATE auth.sessions SET roles_generation = roles_generation - 1 WHERE id = $1 " + RETURNING_LIVE)
      .execute(Tuple.of(sessionId))
      .map(rows -> live(rows.iterator().next()));
  }

  /**
   * Rotates the session's token of generation {@code generation} and hash {@code presentedHash}
   * to {@code successorHash} (generation + 1); empty when that is not the current token of a
   * refreshable session.
   */
  public Future<Optional<LiveSession>> rotate(UUID sessionId, long generation, byte[] presentedHash, byte[] successorHash,
                                              long refreshTtlSeconds) {
    return pool.preparedQuery(ROTATE)
      .execute(Tuple.of(sessionId, generation, Buffer.buffer(presentedHash), Buffer.buffer(successorHash), refreshTtlSeconds))
      .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(live(rows.iterator().next())));
  }

  /** The session's refresh state, read by id after a presented token did not rotate; empty for an unknown session. */
  public Future<Optional<RefreshState>> lookup(UUID sessionId, long graceSeconds) {
    return pool.preparedQuery(LOOKUP)
      .execute(Tuple.of(sessionId, graceSeconds))
      .map(rows -> {
        if (rows.size() == 0) {
          return Optional.empty();
        }
        Row row = rows.iterator().next();
        long userGeneration = row.getLong("user_generation");
        LiveSession session = new LiveSession(row.getString("id"), row.getString("user_id"), row.getString("username"),
          List.of(row.getArrayOfStrings("roles")), row.getLong("roles_generation"), row.getLong("refresh_expires_in"),
          row.getLong("expires_epoch"), List.of(row.getArrayOfStrings("amr")));
        return Optional.of(new RefreshState(row.getString("id"), row.getString("user_id"), row.getLong("refresh_generation"),
          row.getBuffer("current_hash").getBytes(), row.getBoolean("rotated_within_grace"), row.getBoolean("revoked"),
          row.getBoolean("live"), row.getLong("roles_generation") < userGeneration, userGeneration, session));
      });
  }

  /** The session of a legacy token (issued before V14), by the token's hash; empty when no session has it. */
  public Future<Optional<LegacyToken>> findLegacy(byte[] presentedHash) {
    return pool.preparedQuery("SELECT id::text AS id, retired FROM (" + LEGACY_SESSIONS.formatted(1) + ") legacy LIMIT 1")
      .execute(Tuple.of(Buffer.buffer(presentedHash)))
      .map(rows -> {
        if (rows.size() == 0) {
          return Optional.empty();
        }
        Row row = rows.iterator().next();
        return Optional.of(new LegacyToken(UUID.fromString(row.getString("id")), row.getBoolean("retired")));
      });
  }

  /** Revokes one session if it is not already revoked, with {@code audit} about it; the ids actually revoked. */
  public Future<List<String>> revoke(UUID sessionId, String reason, AuditEvent audit) {
    return ids(pool.preparedQuery("""
        WITH revoked AS (
          UPDATE auth.sessions SET revoked_at = now(), revoked_reason = $2
           WHERE id = $1 AND revoked_at IS NULL RETURNING id, user_id
        ), audited AS (
          %s
        )
        SELECT id::text AS id FROM revoked""".formatted(AuditTrail.insertSelect("auth", 3, "r.user_id", "r.id::text", null, "revoked r")))
      .execute(withDraft(Tuple.of(sessionId, reason), audit)));
  }

  /** Revokes the user's own active session, with {@code audit} about it; empty when it is not theirs, not active, or unknown. */
  public Future<List<String>> revokeOwn(UUID sessionId, UUID userId, String reason, AuditEvent audit) {
    return ids(pool.preparedQuery("""
        WITH revoked AS (
          UPDATE auth.sessions SET revoked_at = now(), revoked_reason = $3
           WHERE id = $1 AND user_id = $2 AND revoked_at IS NULL
             AND refresh_expires_at > now() AND expires_at > now()
          RETURNING id, user_id
        ), audited AS (
          %s
        )
        SELECT id::text AS id FROM revoked""".formatted(AuditTrail.insertSelect("auth", 4, "r.user_id", "r.id::text", null, "revoked r")))
      .execute(withDraft(Tuple.of(sessionId, userId, reason), audit)));
  }

  /**
   * Revokes the session of a presented refresh token ({@link #REVOKE_BY_TOKEN}): its current
   * token by hash, the token it just rotated away from by the successor's hash, an older one when
   * {@code authentic} (its tag verified).
   */
  public Future<List<RevokedSession>> revokeByRefreshToken(UUID sessionId, long generation, byte[] presentedHash,
                                                           byte[] successorHash, boolean authentic, String reason,
                                                           AuditEvent audit) {
    return revokedSessions(pool.preparedQuery(REVOKE_BY_TOKEN).execute(withDraft(Tuple.of(reason, sessionId, generation,
      Buffer.buffer(presentedHash), Buffer.buffer(successorHash), authentic), audit)));
  }

  /** Revokes the session of a legacy refresh token (issued before V14, current then or rotated since), found by its hash. */
  public Future<List<RevokedSession>> revokeByLegacyRefreshToken(byte[] presentedHash, String reason, AuditEvent audit) {
    return revokedSessions(pool.preparedQuery(REVOKE_BY_LEGACY_TOKEN)
      .execute(withDraft(Tuple.of(reason, Buffer.buffer(presentedHash)), audit)));
  }

  private static Future<List<RevokedSession>> revokedSessions(Future<RowSet<Row>> rows) {
    return rows.map(set -> {
      List<RevokedSession> out = new ArrayList<>();
      for (Row row : set) {
        out.add(new RevokedSession(row.getString("id"), row.getString("user_id")));
      }
      return out;
    });
  }

  /** POST /auth/logout-all: every session of the user revoked and one {@code audit} event, in one statement. */
  public Future<List<String>> logoutAll(UUID userId, String reason, AuditEvent audit) {
    return ids(pool.preparedQuery("""
        WITH revoked AS (
          UPDATE auth.sessions SET revoked_at = now(), revoked_reason = $2
           WHERE user_id = $1 AND revoked_at IS NULL RETURNING id
        ), audited AS (
          %s
        )
        SELECT id::text AS id FROM revoked""".formatted(
          AuditTrail.insertSelect("auth", 3, "$1::uuid", "$12::text", null, "(SELECT 1) AS one")))
      .execute(withDraft(Tuple.of(userId, reason), audit).addValue(audit.sessionId())));
  }

  private static Future<List<String>> revokeAllOfUser(SqlClient client, UUID userId, String reason) {
    return ids(client.preparedQuery("""
        UPDATE auth.sessions SET revoked_at = now(), revoked_reason = $2
         WHERE user_id = $1 AND revoked_at IS NULL RETURNING id::text AS id""")
      .execute(Tuple.of(userId, reason)));
  }

  /** Revokes every session of the user except {@code keepSessionId} (may be null: none kept); the ids revoked. */
  public Future<List<String>> revokeAllExcept(UUID userId, UUID keepSessionId, String reason) {
    return ids(pool.preparedQuery("""
        UPDATE auth.sessions SET revoked_at = now(), revoked_reason = $3
         WHERE user_id = $1 AND revoked_at IS NULL AND ($2::uuid IS NULL OR id <> $2::uuid)
        RETURNING id::text AS id""")
      .execute(Tuple.of(userId, keepSessionId, reason)));
  }

  /** Revokes the user's sessions made with an older password version, except {@code keepSessionId} (may be null). */
  public Future<List<String>> revokeOlderPasswordVersions(UUID userId, long passwordVersion, UUID keepSessionId) {
    return ids(pool.preparedQuery("""
        UPDATE auth.sessions SET revoked_at = now(), revoked_reason = 'password_changed'
         WHERE user_id = $1 AND password_version < $2 AND revoked_at IS NULL
           AND ($3::uuid IS NULL OR id <> $3::uuid)
        RETURNING id::text AS id""")
      .execute(Tuple.of(userId, passwordVersion, keepSessionId)));
  }

  /** Raises the user's token generation by one; the new generation. */
  public Future<Long> raiseGeneration(UUID userId) {
    return raiseGeneration(pool, userId);
  }

  private static Future<Long> raiseGeneration(SqlClient client, UUID userId) {
    return client.preparedQuery("""
        INSERT INTO auth.user_token_state (user_id, generation, updated_at) VALUES ($1, 1, now())
        ON CONFLICT (user_id) DO UPDATE SET generation = auth.user_token_state.generation + 1, updated_at = now()
        RETURNING generation""")
      .execute(Tuple.of(userId))
      .map(rows -> rows.iterator().next().getLong("generation"));
  }

  /** Revokes every session of the user and raises the generation, in one transaction. */
  public Future<RevokedUser> revokeUser(UUID userId, String reason) {
    return pool.withTransaction(conn -> revokeAllOfUser(conn, userId, reason)
      .compose(ids -> raiseGeneration(conn, userId).map(gen -> new RevokedUser(ids, gen))));
  }

  public record RevokedUser(List<String> sessionIds, long generation) {
  }

  /** Stores roles read at generation {@code generation} on the user's live sessions that hold older ones. */
  public Future<Integer> storeRoles(UUID userId, String username, List<String> roles, long generation) {
    return pool.preparedQuery("""
        UPDATE auth.sessions SET roles = $3, username = $2, roles_generation = $4
         WHERE user_id = $1 AND revoked_at IS NULL AND roles_generation < $4""")
      .execute(Tuple.of(userId, username, roles.toArray(String[]::new), generation))
      .map(RowSet::rowCount);
  }

  public Future<List<SessionView>> listActive(UUID userId, int limit) {
    return pool.preparedQuery("""
        SELECT id::text AS id, created_at, last_used_at, least(refresh_expires_at, expires_at) AS expires_at, user_agent, ip, amr
          FROM auth.sessions
         WHERE user_id = $1 AND revoked_at IS NULL AND refresh_expires_at > now() AND expires_at > now()
         ORDER BY created_at DESC, id
         LIMIT $2""")
      .execute(Tuple.of(userId, limit))
      .map(rows -> {
        List<SessionView> out = new ArrayList<>();
        for (Row row : rows) {
          out.add(new SessionView(row.getString("id"), row.getOffsetDateTime("created_at"), row.getOffsetDateTime("last_used_at"),
            row.getOffsetDateTime("expires_at"), row.getString("user_agent"), row.getString("ip"),
            List.of(row.getArrayOfStrings("amr"))));
        }
        return out;
      });
  }

  /**
   * The retention of sessions: those that ended (their refresh window or their absolute
   * lifetime) or were revoked longer than {@code keep} ago. {@code keep} is the access-token
   * lifetime plus a margin: no access token of the session can then be alive, so no revocation
   * needs its row. Each of the three times has its index; a row due by two is deleted once.
   * The refresh window is read as {@code lapse_hour} (V16: its end rounded up to the hour), whose
   * index a rotation rarely changes, so that a rotation stays a HOT update. The session's retired
   * and legacy refresh-token hashes go with it (ON DELETE CASCADE).
   */
  public static RetentionRule retention(Duration keep) {
    return RetentionRule.olderThan("auth.sessions", keep, "lapse_hour", "expires_at", "revoked_at");
  }

  /**
   * The retention of retired refresh-token hashes: those retired longer than the refresh-token
   * lifetime ago (older tokens would be refused as expired anyway), on
   * {@code retired_refresh_tokens_retired_at} (V15).
   */
  public static RetentionRule retiredTokensRetention(Duration refreshTokenTtl) {
    return RetentionRule.olderThan("auth.retired_refresh_tokens", refreshTokenTtl, "retired_at");
  }

  /** {@code args} followed by the audit draft's values (see {@link AuditTrail#insertSelect}). */
  private static Tuple withDraft(Tuple args, AuditEvent audit) {
    audit.draftValues().forEach(args::addValue);
    return args;
  }

  private static Future<List<String>> ids(Future<RowSet<Row>> rows) {
    return rows.map(set -> {
      List<String> out = new ArrayList<>();
      for (Row row : set) {
        out.add(row.getString("id"));
      }
      return out;
    });
  }

  private static LiveSession live(Row row) {
    return new LiveSession(row.getString("id"), row.getString("user_id"), row.getString("username"),
      List.of(row.getArrayOfStrings("roles")), row.getLong("generation"), row.getLong("refresh_expires_in"),
      row.getLong("expires_epoch"), List.of(row.getArrayOfStrings("amr")));
  }
}
