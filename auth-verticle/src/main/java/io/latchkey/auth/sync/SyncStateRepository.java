package io.latchkey.auth.sync;

import io.latchkey.auth.floor.VersionFloor;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;

import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.UUID;

/** SQL of the per-user sync state and the applied-notice log (schema auth, V10). */
public final class SyncStateRepository {

  private final Pool pool;

  public SyncStateRepository(Pool pool) {
    this.pool = pool;
  }

  /**
   * The durable floor of a user: the highest announced password version (or deleted) and the
   * newest user state a user-updated sync has read.
   */
  public Future<VersionFloor> floor(String userId) {
    return pool.preparedQuery("SELECT password_version, deleted, updated_at_floor FROM auth.user_sync_state WHERE user_id = $1")
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
        return new VersionFloor(row.getLong("password_version"), updatedAt == null ? Instant.EPOCH : updatedAt.toInstant());
      });
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

  public Future<Boolean> isApplied(long eventId) {
    return pool.preparedQuery("SELECT 1 FROM auth.applied_user_notices WHERE event_id = $1")
      .execute(Tuple.of(eventId))
      .map(rows -> rows.size() > 0);
  }

  /** Records a notice as applied (idempotent) and the user's last applied event id. */
  public Future<Void> markApplied(long eventId, String userId, String type) {
    UUID user = UUID.fromString(userId);
    return pool.withTransaction(client -> client
      .preparedQuery("INSERT INTO auth.applied_user_notices (event_id, user_id, type) VALUES ($1, $2, $3) ON CONFLICT (event_id) DO NOTHING")
      .execute(Tuple.of(eventId, user, type))
      .compose(r -> client.preparedQuery("INSERT INTO auth.user_sync_state (user_id, last_event_id) VALUES ($1, $2) "
          + "ON CONFLICT (user_id) DO UPDATE SET last_event_id = GREATEST(auth.user_sync_state.last_event_id, EXCLUDED.last_event_id), "
          + "updated_at = now()")
        .execute(Tuple.of(user, eventId))))
      .mapEmpty();
  }

  /** Deletes up to {@code batch} applied-notice rows older than {@code retentionDays}; returns how many. */
  public Future<Integer> pruneApplied(int retentionDays, int batch) {
    return pool.preparedQuery("DELETE FROM auth.applied_user_notices WHERE event_id IN ("
        + "SELECT event_id FROM auth.applied_user_notices WHERE applied_at < now() - make_interval(days => $1) LIMIT $2)")
      .execute(Tuple.of(retentionDays, batch))
      .map(rows -> rows.rowCount());
  }
}
