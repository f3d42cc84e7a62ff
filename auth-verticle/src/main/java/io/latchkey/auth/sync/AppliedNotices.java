package io.latchkey.auth.sync;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;

import java.util.UUID;

/**
 * The log of applied user notices (schema auth, V10), so that a notice the user service sends
 * again is acknowledged without running twice.
 */
public final class AppliedNotices {

  private final Pool pool;

  public AppliedNotices(Pool pool) {
    this.pool = pool;
  }

  public Future<Boolean> contains(long eventId) {
    return pool.preparedQuery("SELECT 1 FROM auth.applied_user_notices WHERE event_id = $1")
      .execute(Tuple.of(eventId))
      .map(rows -> rows.size() > 0);
  }

  /** Records a notice as applied (idempotent) and the user's last applied event id. */
  public Future<Void> record(long eventId, String userId, String type) {
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
  public Future<Integer> pruneOlderThan(int retentionDays, int batch) {
    return pool.preparedQuery("DELETE FROM auth.applied_user_notices WHERE event_id IN ("
        + "SELECT event_id FROM auth.applied_user_notices WHERE applied_at < now() - make_interval(days => $1) LIMIT $2)")
      .execute(Tuple.of(retentionDays, batch))
      .map(rows -> rows.rowCount());
  }
}
