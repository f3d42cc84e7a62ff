package io.latchkey.auth.sync;

import io.latchkey.common.retention.RetentionRule;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;

import java.time.Duration;
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

  /**
   * The retention of the log: notices applied longer than {@code keep} ago, on
   * {@code applied_user_notices_applied_at}. A duplicate comes from the user service's relay
   * retrying a notice whose acknowledgement it did not get, within seconds to minutes (an outage
   * of every user node at most); one that comes after its row is gone is applied again, which
   * every step of {@link SyncService} survives (floors only rise, revocations repeat).
   */
  public static RetentionRule retention(Duration keep) {
    return RetentionRule.olderThan("auth.applied_user_notices", keep, "applied_at");
  }
}
