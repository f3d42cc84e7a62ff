package io.latchkey.user.repo;

import io.latchkey.common.retention.RetentionRule;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

import java.time.Duration;
import java.util.Optional;
import java.util.UUID;

/** SQL on {@code users.mail_tokens}: tokens sent by mail, by the SHA-256 hash of the token (never the token). */
public final class MailTokenRepository {

  public enum Purpose {
    VERIFY_EMAIL("verify_email"),
    PASSWORD_RESET("password_reset");

    private final String wire;

    Purpose(String wire) {
      this.wire = wire;
    }

    public String wire() {
      return wire;
    }
  }

  /** A token as stored; {@code usable} says whether it is unused, not retired and not expired right now (database clock). */
  public record StoredToken(UUID userId, String emailKey, boolean usable) {
  }

  /** Stores a new token that expires {@code ttlSeconds} from now. */
  public Future<Void> insert(SqlClient client, byte[] tokenHash, UUID userId, Purpose purpose, String emailKey, long ttlSeconds) {
    return client.preparedQuery("INSERT INTO users.mail_tokens (token_hash, user_id, purpose, email_key, expires_at) "
        + "VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))")
      .execute(Tuple.of(Buffer.buffer(tokenHash), userId, purpose.wire(), emailKey, (double) ttlSeconds))
      .mapEmpty();
  }

  /** Retires every open token of the user for that purpose (a newer one replaces them, or the password changed). */
  public Future<Integer> retireOpen(SqlClient client, UUID userId, Purpose purpose) {
    return client.preparedQuery("UPDATE users.mail_tokens SET retired_at = now() "
        + "WHERE user_id = $1 AND purpose = $2 AND used_at IS NULL AND retired_at IS NULL")
      .execute(Tuple.of(userId, purpose.wire()))
      .map(rows -> rows.rowCount());
  }

  /**
   * The token with this hash and purpose, locked until the transaction ends (two confirmations
   * of one token serialize here: the second sees it used). Empty for an unknown token.
   */
  public Future<Optional<StoredToken>> findForUpdate(SqlClient client, byte[] tokenHash, Purpose purpose) {
    return client.preparedQuery("SELECT user_id, email_key, "
        + "(used_at IS NULL AND retired_at IS NULL AND expires_at > now()) AS usable "
        + "FROM users.mail_tokens WHERE token_hash = $1 AND purpose = $2 FOR UPDATE")
      .execute(Tuple.of(Buffer.buffer(tokenHash), purpose.wire()))
      .map(rows -> {
        var it = rows.iterator();
        if (!it.hasNext()) {
          return Optional.empty();
        }
        Row row = it.next();
        return Optional.of(new StoredToken(row.getUUID("user_id"), row.getString("email_key"), row.getBoolean("usable")));
      });
  }

  public Future<Void> markUsed(SqlClient client, byte[] tokenHash) {
    return client.preparedQuery("UPDATE users.mail_tokens SET used_at = now() WHERE token_hash = $1")
      .execute(Tuple.of(Buffer.buffer(tokenHash)))
      .mapEmpty();
  }

  /**
   * The retention of mailed tokens: rows whose token expired longer than {@code keep} ago, on
   * {@code mail_tokens_expires}. Until then a used, retired or expired token is answered from its
   * row (and shows when it was used); afterwards its absence gives the same answer, invalid.
   */
  public RetentionRule retention(Duration keep) {
    return RetentionRule.olderThan("users.mail_tokens", keep, "expires_at");
  }
}
