package io.latchkey.user;

import io.latchkey.common.AdminQueries;
import io.latchkey.user.testing.UserServiceFixture;
import io.latchkey.user.testing.UserServiceTest;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.latchkey.common.testing.Await.await;
import static io.latchkey.user.testing.Problems.assertProblem;
import static io.latchkey.user.testing.UserServiceFixture.FULL_KEY;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * ADMIN_QUERY_TIMEOUT_MS: a search or an audit listing that PostgreSQL is still running when the
 * timeout passes is cancelled and answered 503 query_timeout with Retry-After, on the admin pool's
 * own connections, which serve the next admin query. The slow query is made by the test alone: it
 * holds an ACCESS EXCLUSIVE lock on the table, so the statement waits until PostgreSQL cancels it.
 */
@UserServiceTest(settings = "ADMIN_QUERY_TIMEOUT_MS=500")
class AdminQueryTimeoutTest {

  private final UserServiceFixture f;

  AdminQueryTimeoutTest(UserServiceFixture f) {
    this.f = f;
  }

  @BeforeAll
  static void someoneToFind(UserServiceFixture f) {
    f.register("slowpoke", "slowpoke@example.com", "a sturdy passphrase");
  }

  /** A connection of the test's own holding {@code table} locked until it is closed (rolled back). */
  private Connection lock(String table) throws SQLException {
    Connection c = f.connect();
    c.setAutoCommit(false);
    try (Statement st = c.createStatement()) {
      st.execute("LOCK TABLE " + table + " IN ACCESS EXCLUSIVE MODE");
    }
    return c;
  }

  private Future<HttpResponse<Buffer>> get(String path) {
    return f.request(HttpMethod.GET, path).putHeader("X-API-Key", FULL_KEY).send();
  }

  /** pid and state of the admin pool's connections, from pg_stat_activity. */
  private Map<Integer, String> adminConnections() {
    Map<Integer, String> connections = new java.util.TreeMap<>();
    f.rows("SELECT pid, state FROM pg_stat_activity WHERE datname = current_database() AND application_name = ?",
      AdminQueries.applicationName(UserModule.SERVICE)).forEach(r -> connections.put((Integer) r.get("pid"), (String) r.get("state")));
    return connections;
  }

  private static void assertQueryTimeout(HttpResponse<Buffer> response) {
    assertProblem(response, 503, "query_timeout");
    String retryAfter = response.getHeader("Retry-After");
    assertThat(retryAfter).as("Retry-After").isNotNull();
    assertThat(Integer.parseInt(retryAfter)).isPositive();
  }

  @Test
  void searchesPastTheTimeoutAre503AndTheirConnectionsServeTheNextSearch() throws SQLException {
    assertThat(await(get("/users?search=slowpoke")).statusCode()).isEqualTo(200);

    List<HttpResponse<Buffer>> answers = new ArrayList<>();
    try (Connection held = lock("users.users")) {
      // two at once: each admin connection (the pool has two) is cancelled once
      List<Future<HttpResponse<Buffer>>> pending = List.of(get("/users?search=slowpoke"), get("/users?search=slow&limit=5"));
      await(Future.all(pending), 30);
      pending.forEach(p -> answers.add(p.result()));
      held.rollback();
    }
    answers.forEach(AdminQueryTimeoutTest::assertQueryTimeout);
    Map<Integer, String> cancelled = adminConnections();
    assertThat(cancelled).as("both searches ran on the admin pool's own connections").hasSize(AdminQueries.POOL_SIZE);
    assertThat(cancelled.values()).as("no connection is left in a failed transaction").containsOnly("idle");

    HttpResponse<Buffer> after = await(get("/users?search=slowpoke"));
    assertThat(after.statusCode()).as(after.bodyAsString()).isEqualTo(200);
    assertThat(after.bodyAsJsonObject().getJsonArray("items")).hasSize(1);
    assertThat(adminConnections().keySet()).as("the same connections, none dropped or reopened").isEqualTo(cancelled.keySet());
  }

  @Test
  void anAuditListingPastTheTimeoutIs503AndTheNextOneAnswers() throws SQLException {
    HttpResponse<Buffer> slow;
    try (Connection held = lock("users.audit_events")) {
      slow = await(get("/admin/audit-events?limit=5"), 30);
      held.rollback();
    }
    assertQueryTimeout(slow);
    HttpResponse<Buffer> after = await(get("/admin/audit-events?limit=5"));
    assertThat(after.statusCode()).as(after.bodyAsString()).isEqualTo(200);
  }
}
