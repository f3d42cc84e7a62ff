package io.latchkey.auth.floor;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.UUID;

/**
 * The durable half of the version floors: SQL of {@code auth.user_sync_state} (schema auth, V10,
 * V11, V12). The password cache, the session opening and the sync all read it; only the sync raises it.
 */
public final class VersionFloors {

  private final Pool pool;

  public VersionFloors(Pool pool) {
    this.pool = pool;
  }

  /**
   * The durable floor of a user: the highest announced password version (or deleted) and the
   * newest user state a user-updated sync has read.
   */
  public Future<VersionFloor> floor(String userId) {
    return pool.preparedQuery("SELECT password_version, deleted, updated_at_floor, disabled FROM auth.user_sync_state WHERE user_id = $1")
      .execute(Tuple.of(UUID.fromString(userId)))
      .map(rows -> {
        if (rows.size() == 0) {
          return VersionFloor.NONE;
        }
        Row row = rows.iterator().next();
        if (row.getBoolean("deleted")) {
          return VersionFloor.deleted();
        }
        OffsetDateTime updatedAt = row.getOffsetDateTime("updated_at_floor");
        return new VersionFloor(row.getLong("password_version"), updatedAt == null ? Instant.EPOCH : updatedAt.toInstant(),
          row.getBoolean("disabled"));
      });
  }

  /**
   * USER_DISABLED ({@code disabled} true) or USER_ENABLED (false) that happened at {@code at}: sets
   * the flag unless a newer disable or enable already set it, and raises {@code updated_at_floor}
   * to {@code at}, in one statement. Idempotent. True when the user's flag is now {@code disabled}
   * (false: a newer notice set the other value, and this one is late).
   */
  public Future<Boolean> setDisabled(String userId, boolean disabled, Instant at) {
    OffsetDateTime when = OffsetDateTime.ofInstant(at.truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC);
    return pool.preparedQuery("INSERT INTO auth.user_sync_state (user_id, disabled, disabled_changed_at, updated_at_floor) "
        + "VALUES ($1, $2, $3, $3) ON CONFLICT (user_id) DO UPDATE SET "
        + "disabled = CASE WHEN auth.user_sync_state.disabled_changed_at IS NULL "
        + "OR auth.user_sync_state.disabled_changed_at <= EXCLUDED.disabled_changed_at "
        + "THEN EXCLUDED.disabled ELSE auth.user_sync_state.disabled END, "
        + "disabled_changed_at = GREATEST(auth.user_sync_state.disabled_changed_at, EXCLUDED.disabled_changed_at), "
        + "updated_at_floor = GREATEST(auth.user_sync_state.updated_at_floor, EXCLUDED.updated_at_floor), "
        + "updated_at = now() RETURNING disabled")
      .execute(Tuple.of(UUID.fromString(userId), disabled, when))
      .map(rows -> rows.iterator().next().getBoolean("disabled") == disabled);
  }

  /** Raises the newest user state a sync has read (never lowers it); kept to the microsecond, as PostgreSQL does. */
  public Future<Void> raiseUpdatedAt(String userId, Instant updatedAt) {
    return pool.preparedQuery("INSERT INTO auth.user_sync_state (user_id, updated_at_floor) VALUES ($1, $2) "
        + "ON CONFLICT (user_id) DO UPDATE SET updated_at_floor = GREATEST(auth.user_sync_state.updated_at_floor, EXCLUDED.updated_at_floor), "
        + "updated_at = now()")
      .execute(Tuple.of(UUID.fromString(userId), OffsetDateTime.ofInstant(updatedAt.truncatedTo(ChronoUnit.MICROS), ZoneOffset.UTC)))
      .mapEmpty();
  }

  /** Raises the announced password version (never lowers it). */
  public Future<Void> raisePasswordVersion(String userId, long passwordVersion) {
    return pool.preparedQuery("INSERT INTO auth.user_sync_state (user_id, password_version) VALUES ($1, $2) "
        + "ON CONFLICT (user_id) DO UPDATE SET password_version = GREATEST(auth.user_sync_state.password_version, EXCLUDED.password_version), "
        + "updated_at = now()")
      .execute(Tuple.of(UUID.fromString(userId), passwordVersion))
      .mapEmpty();
  }

  public Future<Void> markDeleted(String userId) {
    return pool.preparedQuery("INSERT INTO auth.user_sync_state (user_id, deleted) VALUES ($1, true) "
        + "ON CONFLICT (user_id) DO UPDATE SET deleted = true, updated_at = now()")
      .execute(Tuple.of(UUID.fromString(userId)))
      .mapEmpty();
  }
}
