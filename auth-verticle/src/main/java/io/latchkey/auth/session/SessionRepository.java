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
 * The SQL of sessions, refresh-token hashes and user token generations (schema {@code auth}).
 * A session change the user made or caused (a login, a logout, a deleted session, a reused
 * refresh token) writes its audit event in the same statement: the event exists exactly when the
 * change committed.
 */
public final class SessionRepository {

  /** A session a statement revoked, and its user. */
  public record RevokedSession(String id, String userId) {
  }

  /** A session as a refresh or login needs it to issue tokens. */
  public record LiveSession(String id, String userId, String username, List<String> roles, long generation,
                            long refreshExpiresIn, long expiresAtEpochSecond) {
  }

  /** What a presented refresh token is, when it is not the current token of a refreshable session. */
  public record PresentedToken(String sessionId, String userId, boolean current, boolean revoked, boolean live,
                               boolean rolesStale, long userGeneration, boolean withinGrace, byte[] sessionCurrentHash,
                               LiveSession session) {
  }

  /** A row of GET /auth/sessions. */
  public record SessionView(String id, OffsetDateTime createdAt, OffsetDateTime lastUsedAt, OffsetDateTime expiresAt,
                            String userAgent, String ip) {
  }

  private static final String GENERATION_OF = "coalesce((SELECT g.generation FROM auth.user_token_state g WHERE g.user_id = %s), 0)";

  private static final String INSERT = """
    WITH created AS (
      INSERT INTO auth.sessions (id, user_id, username, roles, roles_generation, password_version, current_hash,
                                 refresh_expires_at, expires_at, user_agent, ip)
      VALUES ($1, $2, $3, $4, %s, $5, $6,
              now() + least($7::bigint, $8::bigint) * interval '1 second', now() + $8::bigint * interval '1 second', $9, $10)
      RETURNING id, user_id, username, roles, roles_generation, refresh_expires_at, expires_at
    ), audited AS (
      %s
    )
    SELECT c.id::text AS id, c.user_id::text AS user_id, c.username, c.roles, c.roles_generation AS generation,
           ceil(extract(epoch FROM c.refresh_expires_at - now()))::bigint AS refresh_expires_in,
           floor(extract(epoch FROM c.expires_at))::bigint AS expires_epoch
      FROM created c
    """.formatted(GENERATION_OF.formatted("$2"),
      AuditTrail.insertSelect("auth", 11, "c.user_id", "c.id::text", null, "created c"));

  // One conditional statement: of N concurrent refreshes with one token exactly one matches
  // current_hash = $1 (the others wait for its row lock, then no longer match).
  private static final String ROTATE = """
    WITH rotated AS (
      UPDATE auth.sessions s
         SET current_hash = $2, last_used_at = now(),
             refresh_expires_at = least(now() + $3::bigint * interval '1 second', s.expires_at)
       WHERE s.current_hash = $1 AND s.revoked_at IS NULL
         AND s.refresh_expires_at > now() AND s.expires_at > now()
         AND s.roles_generation >= %s
      RETURNING s.id, s.user_id, s.username, s.roles, s.roles_generation, s.refresh_expires_at, s.expires_at
    ), retired AS (
      INSERT INTO auth.retired_refresh_tokens (hash, session_id) SELECT $1, id FROM rotated
    )
    SELECT r.id::text AS id, r.user_id::text AS user_id, r.username, r.roles, r.roles_generation AS generation,
           ceil(extract(epoch FROM r.refresh_expires_at - now()))::bigint AS refresh_expires_in,
           floor(extract(epoch FROM r.expires_at))::bigint AS expires_epoch
      FROM rotated r
    """.formatted(GENERATION_OF.formatted("s.user_id"));

  private static final String LOOKUP_COLUMNS = """
    s.id::text AS id, s.user_id::text AS user_id, s.username, s.roles, s.current_hash,
    s.revoked_at IS NOT NULL AS revoked,
    (s.refresh_expires_at > now() AND s.expires_at > now()) AS live,
    s.roles_generation, %s AS user_generation,
    ceil(extract(epoch FROM s.refresh_expires_at - now()))::bigint AS refresh_expires_in,
    floor(extract(epoch FROM s.expires_at))::bigint AS expires_epoch
    """.formatted(GENERATION_OF.formatted("s.user_id"));

  private static final String LOOKUP = """
    SELECT %1$s, true AS is_current, false AS within_grace
      FROM auth.sessions s WHERE s.current_hash = $1
    UNION ALL
    SELECT %1$s, false AS is_current, r.retired_at > now() - $2::bigint * interval '1 second' AS within_grace
      FROM auth.retired_refresh_tokens r JOIN auth.sessions s ON s.id = r.session_id WHERE r.hash = $1
    """.formatted(LOOKUP_COLUMNS);

  private final Pool pool;

  public SessionRepository(Pool pool) {
    this.pool = pool;
  }

  public Future<LiveSession> insert(UUID sessionId, UUID userId, String username, List<String> roles, long passwordVersion,
                                    byte[] refreshHash, long refreshTtlSeconds, long maxLifetimeSeconds, String userAgent,
                                    String ip, AuditEvent loginSucceeded) {
    return pool.preparedQuery(INSERT)
      .execute(withDraft(Tuple.of(sessionId, userId, username, roles.toArray(String[]::new), passwordVersion, Buffer.buffer(refreshHash),
        refreshTtlSeconds, maxLifetimeSeconds).addValue(userAgent).addValue(ip), loginSucceeded))
      .map(rows -> live(rows.iterator().next()));
  }

  /**
   * Marks a session's roles as older than the user's generation (its roles generation one below
   * what it holds): tokens issued from it are refused and its next refresh fetches the roles.
   */
  public Future<LiveSession> markRolesStale(UUID sessionId) {
    return pool.preparedQuery("""
        UPDATE auth.sessions SET roles_generation = roles_generation - 1 WHERE id = $1
        RETURNING id::text AS id, user_id::text AS user_id, username, roles, roles_generation AS generation,
                  ceil(extract(epoch FROM refresh_expires_at - now()))::bigint AS refresh_expires_in,
                  floor(extract(epoch FROM expires_at))::bigint AS expires_epoch""")
      .execute(Tuple.of(sessionId))
      .map(rows -> live(rows.iterator().next()));
  }

  /** Rotates the current token {@code presentedHash} to {@code successorHash}; empty when it is not a refreshable current token. */
  public Future<Optional<LiveSession>> rotate(byte[] presentedHash, byte[] successorHash, long refreshTtlSeconds) {
    return pool.preparedQuery(ROTATE)
      .execute(Tuple.of(Buffer.buffer(presentedHash), Buffer.buffer(successorHash), refreshTtlSeconds))
      .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(live(rows.iterator().next())));
  }

  public Future<Optional<PresentedToken>> lookup(byte[] presentedHash, long graceSeconds) {
    return pool.preparedQuery(LOOKUP)
      .execute(Tuple.of(Buffer.buffer(presentedHash), graceSeconds))
      .map(rows -> {
        if (rows.size() == 0) {
          return Optional.empty();
        }
        Row row = rows.iterator().next();
        long userGeneration = row.getLong("user_generation");
        LiveSession session = new LiveSession(row.getString("id"), row.getString("user_id"), row.getString("username"),
          List.of(row.getArrayOfStrings("roles")), row.getLong("roles_generation"), row.getLong("refresh_expires_in"),
          row.getLong("expires_epoch"));
        return Optional.of(new PresentedToken(row.getString("id"), row.getString("user_id"), row.getBoolean("is_current"),
          row.getBoolean("revoked"), row.getBoolean("live"), row.getLong("roles_generation") < userGeneration, userGeneration,
          row.getBoolean("within_grace"), row.getBuffer("current_hash").getBytes(), session));
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
   * Revokes the session whose current or any retired refresh token this is (presenting a retired
   * token to refresh would revoke the session as reuse anyway). The session is found in one
   * snapshot, in which a concurrent rotation has either not happened (the token is current) or
   * committed (the token is retired), and revoked by id: a refresh racing the logout cannot
   * make it miss.
   */
  public Future<List<RevokedSession>> revokeByRefreshToken(byte[] presentedHash, String reason, AuditEvent audit) {
    // the holder of the session's refresh token acts as its user: the event's actor is that user
    return pool.preparedQuery("""
        WITH presented AS (
          SELECT id FROM auth.sessions WHERE current_hash = $1
          UNION
          SELECT session_id FROM auth.retired_refresh_tokens WHERE hash = $1
        ), revoked AS (
          UPDATE auth.sessions SET revoked_at = now(), revoked_reason = $2
           WHERE id IN (SELECT id FROM presented) AND revoked_at IS NULL
             AND refresh_expires_at > now() AND expires_at > now()
          RETURNING id, user_id
        ), audited AS (
          %s
        )
        SELECT id::text AS id, user_id::text AS user_id FROM revoked""".formatted(
          AuditTrail.insertSelect("auth", 3, "r.user_id", "r.id::text", "r.user_id::text", "revoked r")))
      .execute(withDraft(Tuple.of(Buffer.buffer(presentedHash), reason), audit))
      .map(rows -> {
        List<RevokedSession> out = new ArrayList<>();
        for (Row row : rows) {
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
        SELECT id::text AS id, created_at, last_used_at, least(refresh_expires_at, expires_at) AS expires_at, user_agent, ip
          FROM auth.sessions
         WHERE user_id = $1 AND revoked_at IS NULL AND refresh_expires_at > now() AND expires_at > now()
         ORDER BY created_at DESC, id
         LIMIT $2""")
      .execute(Tuple.of(userId, limit))
      .map(rows -> {
        List<SessionView> out = new ArrayList<>();
        for (Row row : rows) {
          out.add(new SessionView(row.getString("id"), row.getOffsetDateTime("created_at"), row.getOffsetDateTime("last_used_at"),
            row.getOffsetDateTime("expires_at"), row.getString("user_agent"), row.getString("ip")));
        }
        return out;
      });
  }

  /**
   * The retention of sessions: those that ended (their refresh window or their absolute
   * lifetime) or were revoked longer than {@code keep} ago. {@code keep} is the access-token
   * lifetime plus a margin: no access token of the session can then be alive, so no revocation
   * needs its row. Each of the three times has its index; a row due by two is deleted once.
   * The session's retired refresh-token hashes go with it (ON DELETE CASCADE).
   */
  public static RetentionRule retention(Duration keep) {
    return RetentionRule.olderThan("auth.sessions", keep, "refresh_expires_at", "expires_at", "revoked_at");
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
      row.getLong("expires_epoch"));
  }
}
