package io.latchkey.auth.session;

import io.latchkey.common.retention.RetentionRule;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Pool;
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
 * The open passkey login challenges ({@code auth.passkey_challenges}, V18): what {@code POST
 * /auth/passkey/options} issues and {@code POST /auth/passkey/login} uses up. In PostgreSQL, so
 * the login may reach any auth node. The challenge (32 random bytes, base64url without padding)
 * is not a secret, but only its SHA-256 is stored beside the id: a row read out of the database
 * cannot be answered with. A challenge is used up by the one statement that reads it
 * ({@link #use}): unknown, expired and already used challenges all find nothing.
 */
public final class PasskeyChallenges {

  /** How long a challenge may be answered: 5 minutes, fixed by the contract (and the {@code timeout} of the options). */
  public static final Duration TTL = Duration.ofMinutes(5);
  /** How long a challenge row stays after it expired: nothing reads it then; the margin only keeps deletions in batches. */
  public static final Duration KEEP_AFTER_EXPIRY = Duration.ofHours(1);

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();

  /** A stored challenge: its id and the challenge as the client gets it. */
  public record Issued(UUID id, String challenge) {
  }

  private final Pool pool;
  private final Duration ttl;

  public PasskeyChallenges(Pool pool) {
    this(pool, TTL);
  }

  /** With another lifetime (tests shorten it to see a challenge expire). */
  public PasskeyChallenges(Pool pool, Duration ttl) {
    this.pool = pool;
    this.ttl = ttl;
  }

  /** SHA-256 of the challenge as issued (its base64url characters, UTF-8): what is stored and compared. */
  public static byte[] hash(String challenge) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(challenge.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Stores a fresh challenge living {@link #TTL}. */
  public Future<Issued> issue() {
    byte[] bytes = new byte[32];
    RANDOM.nextBytes(bytes);
    Issued issued = new Issued(UUID.randomUUID(), ENCODER.encodeToString(bytes));
    return pool.preparedQuery("""
        INSERT INTO auth.passkey_challenges (id, challenge_hash, expires_at)
        VALUES ($1, $2, now() + $3::bigint * interval '1 millisecond')""")
      .execute(Tuple.of(issued.id(), Buffer.buffer(hash(issued.challenge())), ttl.toMillis()))
      .map(rows -> issued);
  }

  /**
   * Uses the challenge up in one statement: the SHA-256 of a live challenge of that id, deleted
   * as it is read; empty when it is unknown, expired or already used (by any node).
   */
  public Future<Optional<byte[]>> use(UUID id) {
    return pool.preparedQuery("DELETE FROM auth.passkey_challenges WHERE id = $1 AND expires_at > now() RETURNING challenge_hash")
      .execute(Tuple.of(id))
      .map(rows -> rows.size() == 0
        ? Optional.empty()
        : Optional.of(rows.iterator().next().getBuffer("challenge_hash").getBytes()));
  }

  /** The retention: challenges expired more than {@link #KEEP_AFTER_EXPIRY} ago, on {@code passkey_challenges_expires_at_idx}. */
  public static RetentionRule retention() {
    return RetentionRule.olderThan("auth.passkey_challenges", KEEP_AFTER_EXPIRY, "expires_at");
  }
}
