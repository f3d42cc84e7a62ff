package io.latchkey.user.repo;

import io.latchkey.common.retention.RetentionRule;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** SQL on {@code users.passkeys}, {@code users.passkey_challenges} and the user handle column (V10), nothing else. */
public final class PasskeyRepository {

  /** How long a challenge row stays after it expired: nothing reads it then; the margin only keeps deletions in batches. */
  public static final Duration CHALLENGE_KEEP_AFTER_EXPIRY = Duration.ofHours(1);

  private static final String COLUMNS = "id, user_id, credential_id, credential_data, sign_count, transports, name, uv_initialized,"
    + " backup_eligible, backup_state, created_at, last_used_at";

  /** A stored passkey: the public credential data it is verified with, its counter, and what the user sees. */
  public record Passkey(UUID id, UUID userId, byte[] credentialId, byte[] credentialData, long signCount, List<String> transports,
                        String name, boolean uvInitialized, boolean backupEligible, boolean backupState, Instant createdAt,
                        Instant lastUsedAt) {
  }

  /** A passkey to store (its counter and flags as the registration gave them). */
  public record NewPasskey(UUID id, UUID userId, byte[] credentialId, byte[] credentialData, long signCount, List<String> transports,
                           String name, boolean uvInitialized, boolean backupEligible, boolean backupState) {
  }

  // ---- the user handle

  /** The user's handle, made now (from {@code fresh}) when the user had none; empty when there is no such user. */
  public Future<Optional<byte[]>> userHandle(SqlClient client, UUID userId, byte[] fresh) {
    // COALESCE keeps an existing handle: two racing first calls both answer the one that was stored
    return client.preparedQuery("UPDATE users.users SET webauthn_user_handle = COALESCE(webauthn_user_handle, $2)"
        + " WHERE id = $1 RETURNING webauthn_user_handle")
      .execute(Tuple.of(userId, Buffer.buffer(fresh)))
      .map(rows -> rows.size() == 0 ? Optional.empty()
        : Optional.of(rows.iterator().next().getBuffer("webauthn_user_handle").getBytes()));
  }

  /** The user's handle, if one was ever made. */
  public Future<Optional<byte[]>> findUserHandle(SqlClient client, UUID userId) {
    return client.preparedQuery("SELECT webauthn_user_handle FROM users.users WHERE id = $1")
      .execute(Tuple.of(userId))
      .map(rows -> {
        if (rows.size() == 0) {
          return Optional.empty();
        }
        Buffer handle = rows.iterator().next().getBuffer("webauthn_user_handle");
        return Optional.ofNullable(handle).map(Buffer::getBytes);
      });
  }

  // ---- registration challenges

  /** Stores a registration challenge (by its SHA-256) for {@code userId}, living {@code ttl}. */
  public Future<Void> addChallenge(SqlClient client, byte[] challengeHash, UUID userId, Duration ttl) {
    return client.preparedQuery("INSERT INTO users.passkey_challenges (challenge_hash, user_id, expires_at)"
        + " VALUES ($1, $2, now() + $3::bigint * interval '1 second')")
      .execute(Tuple.of(Buffer.buffer(challengeHash), userId, ttl.toSeconds()))
      .mapEmpty();
  }

  /** Uses up a live challenge of {@code userId}, in one statement: true when this call did (at most one caller ever does). */
  public Future<Boolean> consumeChallenge(SqlClient client, byte[] challengeHash, UUID userId) {
    return client.preparedQuery("DELETE FROM users.passkey_challenges WHERE challenge_hash = $1 AND user_id = $2"
        + " AND expires_at > now() RETURNING user_id")
      .execute(Tuple.of(Buffer.buffer(challengeHash), userId))
      .map(rows -> rows.size() == 1);
  }

  /** The retention of registration challenges: rows expired more than {@link #CHALLENGE_KEEP_AFTER_EXPIRY} ago. */
  public RetentionRule challengeRetention() {
    return RetentionRule.olderThan("users.passkey_challenges", CHALLENGE_KEEP_AFTER_EXPIRY, "expires_at");
  }

  // ---- passkeys

  /** Stores a passkey; fails with SQLSTATE 23505 on {@code passkeys_credential_id_key} when its credential id is taken. */
  public Future<Passkey> insert(SqlClient client, NewPasskey p) {
    Tuple params = Tuple.tuple().addUUID(p.id()).addUUID(p.userId()).addBuffer(Buffer.buffer(p.credentialId()))
      .addBuffer(Buffer.buffer(p.credentialData())).addLong(p.signCount()).addArrayOfString(p.transports().toArray(String[]::new))
      .addString(p.name()).addBoolean(p.uvInitialized()).addBoolean(p.backupEligible()).addBoolean(p.backupState());
    return client.preparedQuery("INSERT INTO users.passkeys (id, user_id, credential_id, credential_data, sign_count, transports, name,"
        + " uv_initialized, backup_eligible, backup_state) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING " + COLUMNS)
      .execute(params)
      .map(rows -> toPasskey(rows.iterator().next()));
  }

  /** The user's passkeys, oldest first. */
  public Future<List<Passkey>> ofUser(SqlClient client, UUID userId) {
    return client.preparedQuery("SELECT " + COLUMNS + " FROM users.passkeys WHERE user_id = $1 ORDER BY created_at, id")
      .execute(Tuple.of(userId))
      .map(PasskeyRepository::all);
  }

  public Future<Optional<Passkey>> byCredentialId(SqlClient client, byte[] credentialId) {
    return client.preparedQuery("SELECT " + COLUMNS + " FROM users.passkeys WHERE credential_id = $1")
      .execute(Tuple.of(Buffer.buffer(credentialId)))
      .map(PasskeyRepository::first);
  }

  /** Renames the user's passkey: empty when the user has no passkey of that id. */
  public Future<Optional<Passkey>> rename(SqlClient client, UUID userId, UUID passkeyId, String name) {
    return client.preparedQuery("UPDATE users.passkeys SET name = $3 WHERE id = $2 AND user_id = $1 RETURNING " + COLUMNS)
      .execute(Tuple.of(userId, passkeyId, name))
      .map(PasskeyRepository::first);
  }

  /** Deletes the user's passkey: false when the user has no passkey of that id. */
  public Future<Boolean> delete(SqlClient client, UUID userId, UUID passkeyId) {
    return client.preparedQuery("DELETE FROM users.passkeys WHERE id = $2 AND user_id = $1")
      .execute(Tuple.of(userId, passkeyId))
      .map(rows -> rows.rowCount() == 1);
  }

  /**
   * Records a use, in one statement: the new counter and the time, only while the stored counter
   * is still {@code expectedCount}, the one the assertion was verified against. False when another
   * use came first: racing copies of one assertion with a counter give one true. (An authenticator
   * whose counter stays 0 is protected from replays by the login challenge alone, which the auth
   * service uses up before it asks.)
   */
  public Future<Boolean> recordUse(SqlClient client, UUID passkeyId, long expectedCount, long newCount, boolean backupState) {
    return client.preparedQuery("UPDATE users.passkeys SET sign_count = $3, backup_state = $4, last_used_at = now()"
        + " WHERE id = $1 AND sign_count = $2")
      .execute(Tuple.of(passkeyId, expectedCount, newCount, backupState))
      .map(rows -> rows.rowCount() == 1);
  }

  private static Optional<Passkey> first(RowSet<Row> rows) {
    var it = rows.iterator();
    return it.hasNext() ? Optional.of(toPasskey(it.next())) : Optional.empty();
  }

  private static List<Passkey> all(RowSet<Row> rows) {
    List<Passkey> list = new ArrayList<>();
    rows.forEach(row -> list.add(toPasskey(row)));
    return list;
  }

  private static Passkey toPasskey(Row row) {
    String[] transports = row.getArrayOfStrings("transports");
    var lastUsed = row.getOffsetDateTime("last_used_at");
    return new Passkey(row.getUUID("id"), row.getUUID("user_id"), row.getBuffer("credential_id").getBytes(),
      row.getBuffer("credential_data").getBytes(), row.getLong("sign_count"), transports == null ? List.of() : List.of(transports),
      row.getString("name"), row.getBoolean("uv_initialized"), row.getBoolean("backup_eligible"), row.getBoolean("backup_state"),
      row.getOffsetDateTime("created_at").toInstant(), lastUsed == null ? null : lastUsed.toInstant());
  }
}
