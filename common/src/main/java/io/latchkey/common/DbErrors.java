package io.latchkey.common;

import io.vertx.pgclient.PgException;

import java.util.Optional;

/** Classifies PostgreSQL failures: by SQLSTATE and constraint, never by message text. */
public final class DbErrors {

  public static final String UNIQUE_VIOLATION = "23505";
  /**
   * query_canceled: the server cancelled the statement, because it ran past
   * {@code statement_timeout} (or someone called {@code pg_cancel_backend} on it). The connection
   * stays usable.
   */
  public static final String QUERY_CANCELED = "57014";

  /**
   * True when the failure means the database could not be reached or the connection broke,
   * as opposed to an error the server reported for a statement.
   */
  public static boolean isUnavailable(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof PgException pg) {
        // 57P01..57P03: admin shutdown, crash shutdown, cannot connect now; 08xxx: connection exceptions
        String state = pg.getSqlState();
        return state != null && (state.startsWith("08") || state.startsWith("57P"));
      }
      if (t instanceof java.net.ConnectException
        || t instanceof io.vertx.sqlclient.ClosedConnectionException
        || t instanceof io.netty.channel.ConnectTimeoutException
        || t instanceof java.io.IOException) {
        return true;
      }
      if (t instanceof io.vertx.core.VertxException && t.getMessage() != null
        && (t.getMessage().contains("Connection") || t.getMessage().contains("connection") || t.getMessage().contains("Timeout"))) {
        return true;
      }
    }
    return false;
  }

  /** True when PostgreSQL cancelled the statement (SQLSTATE {@value #QUERY_CANCELED}), and only then. */
  public static boolean isQueryCanceled(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof PgException pg) {
        return QUERY_CANCELED.equals(pg.getSqlState());
      }
    }
    return false;
  }

  /** The constraint name of a unique violation, if the failure is one. */
  public static Optional<String> uniqueViolation(Throwable failure) {
    if (failure instanceof PgException pg && UNIQUE_VIOLATION.equals(pg.getSqlState())) {
      return Optional.ofNullable(pg.getConstraint());
    }
    return Optional.empty();
  }

  private DbErrors() {
  }
}
