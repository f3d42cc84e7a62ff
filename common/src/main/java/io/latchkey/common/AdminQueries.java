package io.latchkey.common;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.SqlClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Where a service runs its admin queries, the few statements whose cost depends on what an admin
 * asks for (the user search, the audit listing): a small pool of their own, at most
 * {@value #POOL_SIZE} connections, opened on first use and closed after a minute idle. Its
 * connections carry two settings from their startup packet, so they cost no round trip:
 *
 * <ul>
 *   <li>{@code statement_timeout} = ADMIN_QUERY_TIMEOUT_MS: PostgreSQL cancels a statement that
 *       runs longer (SQLSTATE 57014) and the connection stays usable; {@link #run} answers that,
 *       and only that, with 503 {@code query_timeout} and {@code Retry-After};</li>
 *   <li>{@code plan_cache_mode} = {@code force_custom_plan}: every execution is planned with its
 *       parameters. A prepared statement otherwise switches to a generic plan after five
 *       executions, which cannot tell a rare search term (use the trigram index) from a common
 *       one (walk the users in order): measured at 1M users, the generic plan took 2 s for a term
 *       that matches nothing (docs/BENCHMARKS.md, "Search at 1M users").</li>
 * </ul>
 *
 * A pool of their own also means admin queries never take a connection that registrations,
 * logins and the auth service's credential lookups wait for: at most {@value #POOL_SIZE} such
 * queries run at once per process, the others wait for one of those connections (up to
 * DATABASE_CONNECT_TIMEOUT_MS, then 503 {@code database_unavailable} as for any pool).
 */
public final class AdminQueries {

  private static final Logger LOG = LoggerFactory.getLogger(AdminQueries.class);
  /** Admin queries of one process running at once. */
  public static final int POOL_SIZE = 2;
  /** Seconds an admin connection stays open unused. */
  static final int IDLE_SECONDS = 60;

  private final Pool pool;
  private final long timeoutMs;

  private AdminQueries(Pool pool, long timeoutMs) {
    this.pool = pool;
    this.timeoutMs = timeoutMs;
  }

  /** ADMIN_QUERY_TIMEOUT_MS / adminQueryTimeoutMs, read the same way by both services. */
  public static long timeoutSetting(Settings s) {
    return s.longValue("adminQueryTimeoutMs", "ADMIN_QUERY_TIMEOUT_MS", 2000, 1, 600_000);
  }

  /**
   * The admin pool of {@code service} (its {@code application_name} in pg_stat_activity is
   * {@code latchkey-<service>-admin}). No connection is opened before the first query.
   */
  public static AdminQueries open(Vertx vertx, DbConfig database, long timeoutMs, String service) {
    PgConnectOptions connect = database.connectOptions()
      .addProperty("statement_timeout", Long.toString(timeoutMs))
      .addProperty("plan_cache_mode", "force_custom_plan")
      .addProperty("application_name", applicationName(service));
    PoolOptions options = new PoolOptions().setMaxSize(POOL_SIZE)
      .setIdleTimeout(IDLE_SECONDS).setIdleTimeoutUnit(TimeUnit.SECONDS)
      .setName("latchkey-admin-" + service + "-" + database.database() + "-" + database.host() + "-" + database.port());
    return new AdminQueries(Database.pool(vertx, database, options, connect), timeoutMs);
  }

  /** What pg_stat_activity shows for the admin connections of {@code service}. */
  public static String applicationName(String service) {
    return "latchkey-" + service + "-admin";
  }

  /**
   * Runs {@code query} on the admin pool. When PostgreSQL cancelled it (SQLSTATE 57014, the
   * statement timeout) the future fails with 503 {@code query_timeout} and one WARN line naming
   * {@code what} and the request, never the query's parameters (a search term may be an email
   * address); every other failure passes unchanged.
   */
  public <T> Future<T> run(String what, String requestId, Function<SqlClient, Future<T>> query) {
    return query.apply(pool).recover(failure -> {
      if (!DbErrors.isQueryCanceled(failure)) {
        return Future.failedFuture(failure);
      }
      LOG.warn("[{}] {} cancelled by PostgreSQL after ADMIN_QUERY_TIMEOUT_MS={} ms: answered 503 {}", requestId, what, timeoutMs,
        ErrorCodes.QUERY_TIMEOUT);
      return Future.failedFuture(queryTimeout());
    });
  }

  /** The answer to a cancelled admin query. */
  public static ApiException queryTimeout() {
    return ApiException.unavailable(ErrorCodes.QUERY_TIMEOUT,
      "The query took longer than this service allows and was cancelled; narrow it (a longer search text, a filter) or try again later.");
  }

  public Future<Void> close() {
    return pool.close();
  }
}
