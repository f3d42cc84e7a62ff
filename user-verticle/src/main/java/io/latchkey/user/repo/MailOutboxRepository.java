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
import java.util.UUID;

/** SQL on {@code users.mail_outbox}: mails to send and their delivery state. */
public final class MailOutboxRepository {

  /**
   * The mails not yet done (not sent, not closed without a mail): one statement over the partial
   * index {@code mail_outbox_due}, which holds only those rows.
   */
  public Future<OutboxRepository.Backlog> backlog(SqlClient client) {
    return client.query("SELECT count(*) AS rows, COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 AS age"
        + " FROM users.mail_outbox WHERE done_at IS NULL")
      .execute()
      .map(rows -> {
        Row row = rows.iterator().next();
        return new OutboxRepository.Backlog(row.getLong("rows"), row.getDouble("age"));
      });
  }


  public enum Kind {
    VERIFY_EMAIL("verify_email"),
    EMAIL_CHANGED("email_changed"),
    PASSWORD_RESET("password_reset"),
    /** A reset asked for an address; the relay finds out whether it is anyone's. */
    RESET_REQUEST("reset_request");

    private final String wire;

    Kind(String wire) {
      this.wire = wire;
    }

    public String wire() {
      return wire;
    }

    static Kind fromWire(String wire) {
      for (Kind kind : values()) {
        if (kind.wire.equals(wire)) {
          return kind;
        }
      }
      throw new IllegalArgumentException("unknown mail kind: " + wire);
    }
  }

  /** A claimed mail. {@code sealedToken} is null for a mail without a token (and for an unresolved reset request). */
  public record PendingMail(long id, Kind kind, UUID userId, String recipient, byte[] sealedToken, String requestId,
                            int attempts, Instant createdAt) {
  }

  private static final String RETURNING =
    " RETURNING id, kind, user_id, recipient, sealed_token, request_id, attempts, created_at";

  /** Queues a mail; call it inside the transaction of the change that causes it. */
  public Future<Long> insert(SqlClient client, Kind kind, UUID userId, String recipient, byte[] sealedToken, String requestId) {
    return client.preparedQuery("INSERT INTO users.mail_outbox (kind, user_id, recipient, sealed_token, request_id) "
        + "VALUES ($1, $2, $3, $4, $5) RETURNING id")
      .execute(Tuple.of(kind.wire(), userId, recipient, sealedToken == null ? null : Buffer.buffer(sealedToken), requestId))
      .map(rows -> rows.iterator().next().getLong("id"));
  }

  /**
   * Claims up to {@code limit} due mails for {@code leaseMs} (oldest first), skipping rows
   * another relay is claiming right now; one statement, committed at once, so no lock or
   * connection is held while a mail travels to the SMTP server.
   */
  public Future<List<PendingMail>> claimDue(SqlClient client, UUID owner, long leaseMs, int limit) {
    return client.preparedQuery("UPDATE users.mail_outbox SET lease_owner = $1,"
        + " lease_until = now() + make_interval(secs => $2::double precision / 1000)"
        + " WHERE id IN (SELECT id FROM users.mail_outbox WHERE done_at IS NULL AND next_attempt_at <= now()"
        + " AND (lease_until IS NULL OR lease_until < now()) ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)"
        + RETURNING)
      .execute(Tuple.of(owner, leaseMs, limit))
      .map(MailOutboxRepository::all);
  }

  /** A reset request turned out to be an account's: the row becomes its reset mail, with the sealed token. */
  public Future<Boolean> resolveReset(SqlClient client, long id, UUID owner, UUID userId, byte[] sealedToken) {
    return client.preparedQuery("UPDATE users.mail_outbox SET kind = 'password_reset', user_id = $3, sealed_token = $4"
        + " WHERE id = $1 AND lease_owner = $2 AND done_at IS NULL")
      .execute(Tuple.of(id, owner, userId, Buffer.buffer(sealedToken)))
      .map(rows -> rows.rowCount() == 1);
  }

  /** The server accepted the mail: done, and its sealed token erased. False when the lease was lost meanwhile. */
  public Future<Boolean> markSent(SqlClient client, long id, UUID owner) {
    return finish(client, id, owner, "sent");
  }

  /** Nothing to send (a reset request for an address that is nobody's, a user deleted meanwhile). */
  public Future<Boolean> markNoAccount(SqlClient client, long id, UUID owner) {
    return finish(client, id, owner, "no_account");
  }

  private Future<Boolean> finish(SqlClient client, long id, UUID owner, String outcome) {
    return client.preparedQuery("UPDATE users.mail_outbox SET done_at = now(), outcome = $3, sealed_token = NULL,"
        + " attempts = attempts + 1, last_error = NULL, lease_until = NULL, lease_owner = NULL"
        + " WHERE id = $1 AND lease_owner = $2 AND done_at IS NULL")
      .execute(Tuple.of(id, owner, outcome))
      .map(rows -> rows.rowCount() == 1);
  }

  /** A failed attempt: the mail waits {@code delayMs} and is tried again. */
  public Future<Void> markFailed(SqlClient client, long id, UUID owner, long delayMs, String error) {
    return client.preparedQuery("UPDATE users.mail_outbox SET attempts = attempts + 1, last_error = $4,"
        + " next_attempt_at = now() + make_interval(secs => $3::double precision / 1000), lease_until = NULL, lease_owner = NULL"
        + " WHERE id = $1 AND lease_owner = $2 AND done_at IS NULL")
      .execute(Tuple.of(id, owner, delayMs, error))
      .mapEmpty();
  }

  /**
   * The retention of sent mails and closed reset requests: rows done longer than {@code keep}
   * ago, on the partial index {@code mail_outbox_done}. A mail still waiting is never due.
   */
  public RetentionRule retention(Duration keep) {
    return RetentionRule.olderThan("users.mail_outbox", keep, "done_at");
  }

  private static List<PendingMail> all(RowSet<Row> rows) {
    List<PendingMail> mails = new ArrayList<>();
    for (Row row : rows) {
      Buffer sealed = row.getBuffer("sealed_token");
      mails.add(new PendingMail(row.getLong("id"), Kind.fromWire(row.getString("kind")), row.getUUID("user_id"),
        row.getString("recipient"), sealed == null ? null : sealed.getBytes(), row.getString("request_id"),
        row.getInteger("attempts"), UserRepository.instant(row, "created_at")));
    }
    mails.sort((a, b) -> Long.compare(a.id(), b.id()));
    return mails;
  }
}
