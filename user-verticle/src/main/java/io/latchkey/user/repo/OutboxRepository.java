package io.latchkey.user.repo;

import io.latchkey.common.bus.UserNotice;
import io.latchkey.common.retention.RetentionRule;
import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/** SQL on {@code users.outbox}: the notices for the auth service and their delivery state. */
public final class OutboxRepository {

  /** An undelivered notice, with the request id of the change that wrote it. */
  public record PendingNotice(UserNotice notice, String requestId, int attempts) {
  }

  /** Rows not yet done and the age of the oldest of them in seconds (0 when there is none), for /metrics. */
  public record Backlog(long rows, double oldestAgeSeconds) {
  }

  /**
   * The undelivered notices: one statement over the partial index {@code outbox_undelivered},
   * which holds only undelivered rows (so the cost follows the backlog, not the table).
   */
  public Future<Backlog> backlog(SqlClient client) {
    return client.query("SELECT count(*) AS rows, COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 AS age"
        + " FROM users.outbox WHERE delivered_at IS NULL")
      .execute()
      .map(rows -> {
        Row row = rows.iterator().next();
        return new Backlog(row.getLong("rows"), row.getDouble("age"));
      });
  }

  /** Writes a notice; call it inside the transaction of the change it describes. */
  public Future<Long> insert(SqlClient client, UserNotice.Type type, UUID userId, Long passwordVersion,
                             String keepSessionId, String requestId) {
    return client.preparedQuery("INSERT INTO users.outbox (user_id, type, password_version, keep_session_id, request_id) "
        + "VALUES ($1, $2, $3, $4, $5) RETURNING id")
      .execute(Tuple.of(userId, type.wire(), passwordVersion, keepSessionId, requestId))
      .map(rows -> rows.iterator().next().getLong("id"));
  }

  /** Users with a notice due for delivery (their oldest undelivered one is not backing off). */
  public Future<List<UUID>> usersWithDueNotices(SqlClient client, int limit) {
    return client.preparedQuery("SELECT user_id FROM ("
        + " SELECT DISTINCT ON (user_id) user_id, id, next_attempt_at FROM users.outbox"
        + " WHERE delivered_at IS NULL ORDER BY user_id, id) AS heads"
        + " WHERE next_attempt_at <= now() ORDER BY id LIMIT $1")
      .execute(Tuple.of(limit))
      .map(rows -> {
        List<UUID> users = new ArrayList<>();
        rows.forEach(r -> users.add(r.getUUID("user_id")));
        return users;
      });
  }

  /**
   * Claims the user's oldest undelivered notice for {@code leaseMs} if it is due and nobody holds
   * a live lease on it; one short statement, committed at once, so no lock or connection is held
   * while the notice travels. Empty when the user has nothing due or another relay (this node or
   * another) holds the head right now: then nothing of this user is sent here, so order per user
   * holds. Concurrent claims of one head serialize on its row; the loser re-checks the lease on
   * the updated row and gets nothing.
   */
  public Future<Optional<PendingNotice>> claimHead(SqlClient client, UUID userId, UUID owner, long leaseMs) {
    return client.preparedQuery("UPDATE users.outbox SET lease_owner = $2,"
        + " lease_until = now() + make_interval(secs => $3::double precision / 1000)"
        + " WHERE id = (SELECT min(id) FROM users.outbox WHERE user_id = $1 AND delivered_at IS NULL)"
        + " AND delivered_at IS NULL AND next_attempt_at <= now() AND (lease_until IS NULL OR lease_until < now())"
        + " RETURNING id, user_id, type, password_version, keep_session_id, request_id, created_at, attempts")
      .execute(Tuple.of(userId, owner, leaseMs))
      .map(rows -> {
        var it = rows.iterator();
        return it.hasNext() ? Optional.of(toPending(it.next())) : Optional.empty();
      });
  }

  /** Marks a claimed notice delivered and ends the lease; false when the lease was lost meanwhile (another relay took over). */
  public Future<Boolean> markDelivered(SqlClient client, long id, UUID owner) {
    return client.preparedQuery("UPDATE users.outbox SET delivered_at = now(), attempts = attempts + 1, last_error = NULL,"
        + " lease_until = NULL, lease_owner = NULL WHERE id = $1 AND lease_owner = $2 AND delivered_at IS NULL")
      .execute(Tuple.of(id, owner)).map(rows -> rows.rowCount() == 1);
  }

  /** Records a failed attempt of a claimed notice and ends the lease; the notice (and so its user's later ones) waits {@code delayMs}. */
  public Future<Void> markFailed(SqlClient client, long id, UUID owner, long delayMs, String error) {
    return client.preparedQuery("UPDATE users.outbox SET attempts = attempts + 1, last_error = $4,"
        + " next_attempt_at = now() + make_interval(secs => $3::double precision / 1000), lease_until = NULL, lease_owner = NULL"
        + " WHERE id = $1 AND lease_owner = $2 AND delivered_at IS NULL")
      .execute(Tuple.of(id, owner, delayMs, error)).mapEmpty();
  }

  public Future<Boolean> isDelivered(SqlClient client, long id) {
    return client.preparedQuery("SELECT delivered_at IS NOT NULL AS delivered FROM users.outbox WHERE id = $1")
      .execute(Tuple.of(id))
      .map(rows -> {
        var it = rows.iterator();
        return it.hasNext() && Boolean.TRUE.equals(it.next().getBoolean("delivered"));
      });
  }

  /**
   * The retention of delivered notices: rows acknowledged longer than {@code keep} ago, on the
   * partial index {@code outbox_delivered}. An undelivered notice is never due, however old: it
   * is retried until the auth service acknowledges it. Nothing reads a delivered row again (the
   * session a password change kept is on the user's row, V8).
   */
  public RetentionRule retention(Duration keep) {
    return RetentionRule.olderThan("users.outbox", keep, "delivered_at");
  }

  private static PendingNotice toPending(Row row) {
    UserNotice notice = new UserNotice(row.getLong("id"), UserNotice.Type.fromWire(row.getString("type")),
      row.getUUID("user_id").toString(), row.getLong("password_version"), row.getString("keep_session_id"),
      UserRepository.instant(row, "created_at"));
    return new PendingNotice(notice, row.getString("request_id"), row.getInteger("attempts"));
  }
}
