package io.latchkey.common.audit;

import io.latchkey.common.retention.RetentionRule;
import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The audit trail of one service, in its own schema's {@code audit_events}: writing an event
 * inside the transaction of the change it records ({@link #insert}), or on its own when there is
 * no transaction ({@link #record}); listing ({@link #list}); deleting what the retention lets go
 * ({@link #retention}). Every committed event is also one JSON line on the logger
 * {@value #LOGGER} ({@link #published}): the JSON object alone is the message.
 */
public final class AuditTrail {

  public static final String LOGGER = "latchkey.audit";
  private static final Logger AUDIT = LoggerFactory.getLogger(LOGGER);
  private static final Logger LOG = LoggerFactory.getLogger(AuditTrail.class);
  private static final String COLUMNS = "id, time, type, user_id, session_id, actor, ip, user_agent, request_id, outcome, reason";

  private final Pool pool;
  private final String table;

  public AuditTrail(Pool pool, String schema) {
    this.pool = pool;
    this.table = schema + ".audit_events";
  }

  /**
   * The INSERT of an event whose user and session a statement finds itself (a CTE's rows):
   * {@code INSERT INTO <schema>.audit_events (...) SELECT $p.., <userIdExpr>, <sessionIdExpr>, ... FROM <from>}.
   * The draft's values ({@link AuditEvent#draftValues}) are parameters {@code $p} to {@code $p+8};
   * {@code actorExpr}, when not null, replaces the draft's actor (parameter {@code $p+3} is then unused).
   */
  public static String insertSelect(String schema, int p, String userIdExpr, String sessionIdExpr, String actorExpr, String from) {
    String actor = actorExpr == null ? "$" + (p + 3) : "coalesce(" + actorExpr + ", $" + (p + 3) + ")";
    return "INSERT INTO " + schema + ".audit_events (" + COLUMNS + ") SELECT $" + p + "::uuid, $" + (p + 1) + "::timestamptz, $"
      + (p + 2) + "::text, " + userIdExpr + ", " + sessionIdExpr + ", " + actor + "::text, $" + (p + 4) + "::text, $" + (p + 5)
      + "::text, $" + (p + 6) + "::text, $" + (p + 7) + "::text, $" + (p + 8) + "::text FROM " + from;
  }

  /** Writes {@code event} with {@code client} (a transaction's connection); publish it once that commits. */
  public Future<Void> insert(SqlClient client, AuditEvent event) {
    return client.preparedQuery("INSERT INTO " + table + " (" + COLUMNS + ") VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
      .execute(Tuple.of(event.id(), event.time().atOffset(ZoneOffset.UTC), event.type().wire(),
          event.userId() == null ? null : UUID.fromString(event.userId()), event.sessionId(), event.actor())
        .addValue(event.ip()).addValue(event.userAgent()).addValue(event.requestId()).addValue(event.outcome())
        .addValue(event.reason()))
      .mapEmpty();
  }

  /**
   * Writes an event that has no transaction to join (a failed login), then publishes it. One
   * insert; when it fails, the failure is logged with the event's JSON line (so the event is not
   * lost from the logs) and the future still succeeds: the audit never changes an answer.
   */
  public Future<Void> record(AuditEvent event) {
    return insert(pool, event).transform(ar -> {
      if (ar.succeeded()) {
        published(event);
      } else {
        LOG.warn("[{}] audit event {} not stored ({}): {}", event.requestId(), event.type().wire(), ar.cause().toString(),
          event.toJson().encode());
      }
      return Future.<Void>succeededFuture();
    });
  }

  /** The event's JSON line on {@value #LOGGER}: call once its transaction committed. */
  public void published(AuditEvent event) {
    if (event != null) {
      AUDIT.info(event.toJson().encode());
    }
  }

  /**
   * Newest first by (time, id), at most {@code query.limit()}, with the cursor of the next page
   * when there is one; run with {@code client} (the listing runs on the admin pool, {@link AuditRoutes}).
   */
  public Future<AuditPage> list(SqlClient client, AuditQuery query) {
    List<String> where = new ArrayList<>();
    Tuple args = Tuple.tuple();
    if (query.userId() != null) {
      args.addValue(query.userId());
      where.add("user_id = $" + args.size());
    }
    if (query.type() != null) {
      args.addValue(query.type().wire());
      where.add("type = $" + args.size());
    }
    if (query.since() != null) {
      args.addValue(query.since().atOffset(ZoneOffset.UTC));
      where.add("time >= $" + args.size());
    }
    if (query.until() != null) {
      args.addValue(query.until().atOffset(ZoneOffset.UTC));
      where.add("time < $" + args.size());
    }
    if (query.after() != null) {
      args.addValue(query.after().time().atOffset(ZoneOffset.UTC));
      args.addValue(query.after().id());
      where.add("(time, id) < ($" + (args.size() - 1) + ", $" + args.size() + ")");
    }
    args.addValue(query.limit() + 1);
    // only the filters given, so each shape of query gets a plan that uses its index
    String sql = "SELECT " + COLUMNS + " FROM " + table + (where.isEmpty() ? "" : " WHERE " + String.join(" AND ", where))
      + " ORDER BY time DESC, id DESC LIMIT $" + args.size();
    return client.preparedQuery(sql).execute(args).map(rows -> {
      List<AuditEvent> items = new ArrayList<>();
      for (Row row : rows) {
        items.add(AuditEvent.fromRow(row));
      }
      if (items.size() <= query.limit()) {
        return new AuditPage(items, null);
      }
      List<AuditEvent> page = List.copyOf(items.subList(0, query.limit()));
      AuditEvent last = page.get(page.size() - 1);
      return new AuditPage(page, new AuditCursor(last.time(), last.id()).encode());
    });
  }

  /**
   * The retention of this trail: events older than {@code keep} by their {@code time}, picked
   * oldest first on {@code audit_events_time} and deleted by {@code ctid}, by one node at a time
   * ({@link RetentionRule}). Deleting by id instead got a generic plan that hash-joined the whole
   * table (measured at 1M rows: 1.0 s with nothing due, 2.0 s a batch; docs/OPERATING.md).
   */
  public RetentionRule retention(Duration keep) {
    return RetentionRule.olderThan(table, keep, "time");
  }

  /** One page of a listing. */
  public record AuditPage(List<AuditEvent> items, String nextCursor) {
  }
}
