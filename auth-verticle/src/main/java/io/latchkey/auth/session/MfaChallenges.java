package io.latchkey.auth.session;

import io.latchkey.common.Uuids;
import io.latchkey.common.retention.RetentionRule;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Base64;
import java.util.Optional;
import java.util.UUID;

/**
 * The open second steps of logins ({@code auth.mfa_challenges}, V17): what {@code POST /auth/login}
 * issues to a user with a second factor after the right password, and {@code POST
 * /auth/login/mfa} finishes. In PostgreSQL, so every auth node sees every challenge. The token
 * (256 random bits, base64url) is handed to the client once and only its SHA-256 is stored.
 *
 * <p>Each statement decides on its own, by primary key: an attempt is claimed with
 * {@link #claim} (at most {@link #MAX_ATTEMPTS} codes are ever checked against one challenge,
 * however many requests race), and a challenge is finished at most once ({@link #finish}).
 */
public final class MfaChallenges {

  /** Codes checked against one challenge at most; the sixth try finds no challenge. */
  public static final int MAX_ATTEMPTS = 5;
  /** How long a challenge row stays after it expired: nothing reads it then; the margin only keeps deletions in batches. */
  public static final Duration KEEP_AFTER_EXPIRY = Duration.ofHours(1);
  /** Longer strings are not tokens this service issued (they are 43 characters). */
  public static final int MAX_TOKEN_LENGTH = 128;

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

  /** A challenge whose attempt was just claimed: whose it is and what the first step saw. */
  public record Claimed(byte[] tokenHash, String userId, long passwordVersion, int attempts, String ip, String userAgent) {
  }

  private final Pool pool;

  public MfaChallenges(Pool pool) {
    this.pool = pool;
  }

  /** A fresh token: 256 random bits, base64url without padding. */
  public static String newToken() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    return ENCODER.encodeToString(bytes);
  }

  /** SHA-256 of the token as presented (its characters, UTF-8): what is stored and looked up. */
  public static byte[] hash(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Stores a challenge for {@code token}, living {@code ttl}. */
  public Future<Void> create(String token, String userId, long passwordVersion, Duration ttl, String ip, String userAgent) {
    return pool.preparedQuery("""
        INSERT INTO auth.mfa_challenges (token_hash, user_id, password_version, expires_at, ip, user_agent)
        VALUES ($1, $2, $3, now() + $4::bigint * interval '1 second', $5, $6)""")
      .execute(Tuple.of(Buffer.buffer(hash(token)), UUID.fromString(userId), passwordVersion, ttl.toSeconds(), ip, userAgent))
      .mapEmpty();
  }

  /**
   * Claims one attempt of a live challenge in one statement: empty when the token is unknown,
   * expired, finished, or already had {@link #MAX_ATTEMPTS} attempts.
   */
  public Future<Optional<Claimed>> claim(String token) {
    byte[] tokenHash = hash(token);
    return pool.preparedQuery("""
        UPDATE auth.mfa_challenges SET attempts = attempts + 1
         WHERE token_hash = $1 AND used_at IS NULL AND expires_at > now() AND attempts < $2
        RETURNING user_id::text AS user_id, password_version, attempts, ip, user_agent""")
      .execute(Tuple.of(Buffer.buffer(tokenHash), MAX_ATTEMPTS))
      .map(rows -> {
        if (rows.size() == 0) {
          return Optional.empty();
        }
        Row row = rows.iterator().next();
        return Optional.of(new Claimed(tokenHash, row.getString("user_id"), row.getLong("password_version"),
          row.getInteger("attempts"), row.getString("ip"), row.getString("user_agent")));
      });
  }

  /** The attempt was not decided (the user service could not answer, or the client is locked out): it does not count. */
  public Future<Void> giveBack(Claimed challenge) {
    return pool.preparedQuery("""
        UPDATE auth.mfa_challenges SET attempts = attempts - 1
         WHERE token_hash = $1 AND used_at IS NULL AND attempts > 0""")
      .execute(Tuple.of(Buffer.buffer(challenge.tokenHash())))
      .mapEmpty();
  }

  /**
   * Finishes the challenge (a login opens, or it can never finish); true when this call did it,
   * false when another request finished it first.
   */
  public Future<Boolean> finish(Claimed challenge) {
    return pool.preparedQuery("UPDATE auth.mfa_challenges SET used_at = now() WHERE token_hash = $1 AND used_at IS NULL")
      .execute(Tuple.of(Buffer.buffer(challenge.tokenHash())))
      .map(rows -> rows.rowCount() == 1);
  }

  /** A password change, disable, deletion or the factor's removal: the user's open challenges die. How many rows went. */
  public Future<Integer> deleteOfUser(String userId) {
    UUID user = Uuids.parseOrNull(userId);
    if (user == null) {
      return Future.succeededFuture(0);
    }
    return pool.preparedQuery("DELETE FROM auth.mfa_challenges WHERE user_id = $1")
      .execute(Tuple.of(user))
      .map(RowSet::rowCount);
  }

  /** The retention: challenges expired more than {@link #KEEP_AFTER_EXPIRY} ago, on {@code mfa_challenges_expires_at_idx}. */
  public static RetentionRule retention() {
    return RetentionRule.olderThan("auth.mfa_challenges", KEEP_AFTER_EXPIRY, "expires_at");
  }
}
