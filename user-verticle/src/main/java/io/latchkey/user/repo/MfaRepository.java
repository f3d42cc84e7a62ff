package io.latchkey.user.repo;

import io.latchkey.user.model.User;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** SQL on {@code users.mfa_totp} and {@code users.mfa_recovery_codes} (V9), nothing else. */
public final class MfaRepository {

  /** A user's TOTP row: the sealed secret, whether it is confirmed, wrong confirm codes, the highest step used. */
  public record TotpRow(byte[] secretSealed, boolean enabled, int pendingFailures, long lastUsedStep) {
  }

  /**
   * The conditions under which a second factor may still finish a login: the user exists, is
   * not disabled, has the password version the first step was checked against, and has TOTP on.
   */
  private static final String USER_STILL_VALID = "u.password_version = $2 AND NOT u.disabled AND u.totp_enabled";

  public Future<Optional<TotpRow>> find(SqlClient client, UUID userId) {
    return client.preparedQuery("SELECT secret_sealed, enabled_at IS NOT NULL AS enabled, pending_failures, last_used_step"
        + " FROM users.mfa_totp WHERE user_id = $1")
      .execute(Tuple.of(userId))
      .map(rows -> {
        var it = rows.iterator();
        if (!it.hasNext()) {
          return Optional.empty();
        }
        Row row = it.next();
        return Optional.of(new TotpRow(row.getBuffer("secret_sealed").getBytes(), row.getBoolean("enabled"),
          row.getInteger("pending_failures"), row.getLong("last_used_step")));
      });
  }

  /**
   * A new pending enrolment, replacing a pending one (its secret, failures and step start over);
   * false when TOTP is already enabled (the row is left alone).
   */
  public Future<Boolean> putPending(SqlClient client, UUID userId, byte[] secretSealed) {
    return client.preparedQuery("INSERT INTO users.mfa_totp (user_id, secret_sealed) VALUES ($1, $2)"
        + " ON CONFLICT (user_id) DO UPDATE SET secret_sealed = EXCLUDED.secret_sealed, pending_failures = 0, last_used_step = 0,"
        + " created_at = now(), updated_at = now() WHERE mfa_totp.enabled_at IS NULL")
      .execute(Tuple.of(userId, Buffer.buffer(secretSealed)))
      .map(rows -> rows.rowCount() == 1);
  }

  /** One more wrong confirming code of a pending enrolment: the count now. */
  public Future<Integer> countPendingFailure(SqlClient client, UUID userId) {
    return client.preparedQuery("UPDATE users.mfa_totp SET pending_failures = pending_failures + 1, updated_at = now()"
        + " WHERE user_id = $1 AND enabled_at IS NULL RETURNING pending_failures")
      .execute(Tuple.of(userId))
      .map(rows -> rows.size() == 0 ? 0 : rows.iterator().next().getInteger("pending_failures"));
  }

  /** Confirms a pending enrolment; {@code step} (the confirming code's) counts as used. False when nothing was pending. */
  public Future<Boolean> enable(SqlClient client, UUID userId, long step) {
    return client.preparedQuery("UPDATE users.mfa_totp SET enabled_at = now(), last_used_step = $2, pending_failures = 0,"
        + " updated_at = now() WHERE user_id = $1 AND enabled_at IS NULL")
      .execute(Tuple.of(userId, step))
      .map(rows -> rows.rowCount() == 1);
  }

  /** Deletes the TOTP row and the recovery codes; whether the row was a confirmed one (empty: there was none). */
  public Future<Optional<Boolean>> delete(SqlClient client, UUID userId) {
    return client.preparedQuery("DELETE FROM users.mfa_recovery_codes WHERE user_id = $1").execute(Tuple.of(userId))
      .compose(v -> client.preparedQuery("DELETE FROM users.mfa_totp WHERE user_id = $1 RETURNING enabled_at IS NOT NULL AS enabled")
        .execute(Tuple.of(userId)))
      .map(rows -> rows.size() == 0 ? Optional.empty() : Optional.of(rows.iterator().next().getBoolean("enabled")));
  }

  /** The user's recovery codes become exactly these hashes (the earlier ones stop working). */
  public Future<Void> replaceRecoveryCodes(SqlClient client, UUID userId, List<byte[]> hashes) {
    Tuple insert = Tuple.tuple().addUUID(userId).addArrayOfBuffer(buffers(hashes));
    return client.preparedQuery("DELETE FROM users.mfa_recovery_codes WHERE user_id = $1").execute(Tuple.of(userId))
      .compose(v -> client.preparedQuery("INSERT INTO users.mfa_recovery_codes (user_id, code_hash) SELECT $1, unnest($2::bytea[])")
        .execute(insert))
      .mapEmpty();
  }

  /**
   * Uses up a TOTP step, in one statement: only when it is above the highest step used so far and
   * the user is still as the first login step found them. The user as now stored, or empty when
   * the step was already used (or a later one), or the user changed.
   */
  public Future<Optional<User>> useStep(SqlClient client, UUID userId, long passwordVersion, long step) {
    return client.preparedQuery("UPDATE users.mfa_totp t SET last_used_step = $3, updated_at = now() FROM users.users u"
        + " WHERE t.user_id = $1 AND u.id = t.user_id AND t.enabled_at IS NOT NULL AND t.last_used_step < $3 AND "
        + USER_STILL_VALID + " RETURNING " + UserRepository.U_COLUMNS)
      .execute(Tuple.of(userId, passwordVersion, step))
      .map(MfaRepository::user);
  }

  /**
   * Uses up a recovery code, in one statement: the unused code among {@code hashes} (one per
   * configured key), when the user is still as the first login step found them. The user as now
   * stored, or empty when no such unused code exists (or the user changed).
   */
  public Future<Optional<User>> useRecoveryCode(SqlClient client, UUID userId, long passwordVersion, List<byte[]> hashes) {
    Tuple params = Tuple.tuple().addUUID(userId).addLong(passwordVersion)
      .addArrayOfBuffer(buffers(hashes));
    return client.preparedQuery("UPDATE users.mfa_recovery_codes c SET used_at = now() FROM users.users u"
        + " WHERE c.user_id = $1 AND u.id = c.user_id AND c.code_hash = ANY($3) AND c.used_at IS NULL AND "
        + USER_STILL_VALID + " RETURNING " + UserRepository.U_COLUMNS)
      .execute(params)
      .map(MfaRepository::user);
  }

  private static Buffer[] buffers(List<byte[]> values) {
    return values.stream().map(Buffer::buffer).toArray(Buffer[]::new);
  }

  private static Optional<User> user(RowSet<Row> rows) {
    var it = rows.iterator();
    return it.hasNext() ? Optional.of(UserRepository.toUser(it.next())) : Optional.empty();
  }
}
