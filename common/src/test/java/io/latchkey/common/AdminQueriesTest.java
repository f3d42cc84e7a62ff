package io.latchkey.common;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.junit5.VertxExtension;
import io.vertx.pgclient.PgException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a failed admin query answers: SQLSTATE 57014 (PostgreSQL cancelled it) and nothing else
 * becomes 503 query_timeout with Retry-After; the settings its pool's connections start with.
 * (The real timeout against PostgreSQL: AdminQueryTimeoutTest in both services.)
 */
@ExtendWith(VertxExtension.class)
class AdminQueriesTest {

  /** No connection is opened before a query uses the client, and these queries never do. */
  private static final DbConfig NOWHERE = DbConfig.fromUrl("postgresql://nobody@127.0.0.1:9/nothing", 1, 200);

  private static PgException pg(String sqlState) {
    return new PgException("server message", "ERROR", sqlState, null);
  }

  private static Throwable failure(Future<?> future) throws Exception {
    try {
      future.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    }
    throw new AssertionError("the future succeeded");
  }

  @Test
  void onlyACancelledStatementCountsAsCancelled() {
    assertThat(DbErrors.isQueryCanceled(pg("57014"))).isTrue();
    assertThat(DbErrors.isQueryCanceled(new RuntimeException("wrapped", pg("57014")))).isTrue();
    assertThat(DbErrors.isQueryCanceled(pg("57P01"))).as("admin shutdown is unavailability, not a timeout").isFalse();
    assertThat(DbErrors.isQueryCanceled(pg("55P03"))).as("lock_not_available").isFalse();
    assertThat(DbErrors.isQueryCanceled(pg("23505"))).isFalse();
    assertThat(DbErrors.isQueryCanceled(new java.io.IOException("connection reset"))).isFalse();
    assertThat(DbErrors.isQueryCanceled(null)).isFalse();
  }

  @Test
  void aCancelledQueryIs503QueryTimeoutAndEveryOtherFailurePassesUnchanged(Vertx vertx) throws Exception {
    AdminQueries admin = AdminQueries.open(vertx, NOWHERE, 250, "test");
    try {
      Throwable timedOut = failure(admin.run("test query", "rid-1", client -> Future.failedFuture(pg("57014"))));
      assertThat(timedOut).isInstanceOf(ApiException.class);
      ApiException api = (ApiException) timedOut;
      assertThat(api.status()).isEqualTo(503);
      assertThat(api.code()).isEqualTo(ErrorCodes.QUERY_TIMEOUT);
      assertThat(api.headers()).containsKey("Retry-After");
      assertThat(Integer.parseInt(api.headers().get("Retry-After"))).isPositive();
      assertThat(api.detail()).doesNotContain("server message");

      PgException unique = pg("23505");
      assertThat(failure(admin.run("test query", "rid-2", client -> Future.failedFuture(unique)))).isSameAs(unique);
      PgException shutdown = pg("57P01");
      assertThat(failure(admin.run("test query", "rid-3", client -> Future.failedFuture(shutdown)))).isSameAs(shutdown);

      assertThat(admin.run("test query", "rid-4", client -> Future.succeededFuture(7))
        .toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS)).isEqualTo(7);
    } finally {
      admin.close().toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void theTimeoutSettingDefaultsTo2000AndRefusesZero() {
    assertThat(AdminQueries.timeoutSetting(new Settings(null, Map.of()))).isEqualTo(2000);
    assertThat(AdminQueries.timeoutSetting(new Settings(null, Map.of("ADMIN_QUERY_TIMEOUT_MS", "150")))).isEqualTo(150);
    org.assertj.core.api.Assertions.assertThatThrownBy(
        () -> AdminQueries.timeoutSetting(new Settings(null, Map.of("ADMIN_QUERY_TIMEOUT_MS", "0"))))
      .hasMessageContaining("ADMIN_QUERY_TIMEOUT_MS");
  }
}
