package io.latchkey.launcher;

import io.vertx.pgclient.PgException;

import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * Turns a failed start into ONE line that names the problem in an operator's words: the
 * database that cannot be reached, the port that is taken, the setting that is invalid.
 * The stack trace goes to the DEBUG log only.
 */
public final class StartupFailures {

  private StartupFailures() {
  }

  public static String describe(Throwable failure) {
    List<Throwable> chain = chain(failure);
    StartupException step = find(chain, StartupException.class);
    ServicePlan service = step == null ? null : step.service();
    String prefix = service == null ? "" : service.name() + ": ";
    Throwable root = chain.get(chain.size() - 1);

    if (chain.stream().anyMatch(StartupFailures::isPortTaken)) {
      String port = service == null ? "a port" : "port " + service.configuredPort();
      return prefix + port + " is already in use (another process listens there; stop it or configure another port)";
    }
    String sqlState = sqlState(chain);
    if (service != null && sqlState != null && (sqlState.startsWith("28"))) {
      return prefix + "the database at " + service.database().describe() + " refused the login (SQLSTATE " + sqlState
        + "); check DATABASE_URL";
    }
    if (service != null && "3D000".equals(sqlState)) {
      return prefix + "the database " + service.database().describe() + " does not exist; create it or fix DATABASE_URL";
    }
    if (service != null && isDatabaseUnreachable(chain, sqlState)) {
      return prefix + "database unreachable at " + service.database().describe() + " (" + message(root)
        + "); is PostgreSQL running? (scripts/pg.sh start)";
    }
    java.net.BindException bind = find(chain, java.net.BindException.class);
    if (bind != null) {
      String what = service == null ? (step == null ? "" : step.getMessage() + ": ") : prefix;
      return what + "cannot bind (" + message(bind) + "); is the configured host or HAZELCAST_INTERFACE an address of this machine?";
    }
    IllegalArgumentException invalid = find(chain, IllegalArgumentException.class);
    if (invalid != null) {
      return prefix + "invalid configuration: " + invalid.getMessage();
    }
    IllegalStateException refused = find(chain, IllegalStateException.class);
    if (service != null && refused != null) {
      return prefix + refused.getMessage();
    }
    if (step != null && service == null) {
      return step.getMessage() + (root == step ? "" : " (" + message(root) + ")");
    }
    return prefix + message(root);
  }

  static boolean isPortTaken(Throwable t) {
    String text = t.getMessage() == null ? "" : t.getMessage();
    return text.contains("Address already in use") || text.contains("address already in use");
  }

  private static boolean isDatabaseUnreachable(List<Throwable> chain, String sqlState) {
    if (sqlState != null && (sqlState.startsWith("08") || sqlState.startsWith("57P"))) {
      return true;
    }
    for (Throwable t : chain) {
      if (t instanceof java.net.ConnectException || t instanceof java.net.UnknownHostException
        || t instanceof java.net.SocketTimeoutException || t instanceof io.netty.channel.ConnectTimeoutException
        || t instanceof io.vertx.sqlclient.ClosedConnectionException) {
        return true;
      }
    }
    return false;
  }

  private static String sqlState(List<Throwable> chain) {
    for (Throwable t : chain) {
      if (t instanceof PgException pg && pg.getSqlState() != null) {
        return pg.getSqlState();
      }
      if (t instanceof SQLException sql && sql.getSQLState() != null) {
        return sql.getSQLState();
      }
    }
    return null;
  }

  private static String message(Throwable t) {
    String text = t.getMessage();
    if (text == null || text.isBlank()) {
      return t.getClass().getSimpleName();
    }
    // keep it one line
    int newline = text.indexOf('\n');
    return (newline >= 0 ? text.substring(0, newline) : text).trim();
  }

  private static <T extends Throwable> T find(List<Throwable> chain, Class<T> type) {
    for (Throwable t : chain) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
    }
    return null;
  }

  private static List<Throwable> chain(Throwable failure) {
    List<Throwable> chain = new ArrayList<>();
    for (Throwable t = failure; t != null && !chain.contains(t); t = t.getCause()) {
      if (t instanceof java.util.concurrent.ExecutionException || t instanceof java.util.concurrent.CompletionException) {
        if (t.getCause() != null) {
          continue;
        }
      }
      chain.add(t);
    }
    if (chain.isEmpty()) {
      chain.add(failure);
    }
    return chain;
  }
}
