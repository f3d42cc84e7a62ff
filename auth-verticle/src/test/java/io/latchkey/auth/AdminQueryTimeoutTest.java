package io.latchkey.auth;

import io.latchkey.auth.testing.AuthFixture;
import io.latchkey.auth.testing.AuthTest;
import io.latchkey.common.AdminQueries;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Transaction;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.latchkey.auth.testing.Problems.assertProblem;
import static io.latchkey.common.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * ADMIN_QUERY_TIMEOUT_MS on the auth service: an audit listing that PostgreSQL is still running
 * when the timeout passes is cancelled, answered 503 query_timeout with Retry-After, and the
 * admin connection it ran on answers the next listing. The test makes the listing slow by holding
 * an ACCESS EXCLUSIVE lock on auth.audit_events from a connection of its own.
 */
@AuthTest(settings = "ADMIN_QUERY_TIMEOUT_MS=500")
class AdminQueryTimeoutTest {

  private final AuthFixture auth;

  AdminQueryTimeoutTest(AuthFixture auth) {
    this.auth = auth;
  }

  private HttpResponse<Buffer> listing() {
    return await(auth.request(0, HttpMethod.GET, "/admin/audit-events?limit=3").putHeader("X-API-Key", AuthFixture.FULL_KEY).send(), 30);
  }

  private List<Integer> adminPids() {
    return auth.query("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1 AND state = 'idle'",
      rows -> {
        List<Integer> pids = new ArrayList<>();
        for (Row row : rows) {
          pids.add(row.getInteger("pid"));
        }
        return pids;
      }, AdminQueries.applicationName(AuthModule.SERVICE));
  }

  @Test
  void aListingPastTheTimeoutIs503AndItsConnectionAnswersTheNext() {
    assertThat(listing().statusCode()).isEqualTo(200);
    List<Integer> before = adminPids();
    assertThat(before).as("the listing runs on the admin pool").hasSize(1);

    SqlConnection locker = await(auth.sql().getConnection());
    HttpResponse<Buffer> slow;
    try {
      Transaction tx = await(locker.begin());
      await(locker.query("LOCK TABLE auth.audit_events IN ACCESS EXCLUSIVE MODE").execute());
      slow = listing();
      await(tx.rollback());
    } finally {
      await(locker.close());
    }
    assertProblem(slow, 503, "query_timeout");
    assertThat(slow.getHeader("Retry-After")).isNotNull();
    assertThat(Integer.parseInt(slow.getHeader("Retry-After"))).isPositive();

    assertThat(adminPids()).as("the cancelled connection is idle in the pool, not dropped").isEqualTo(before);
    HttpResponse<Buffer> after = listing();
    assertThat(after.statusCode()).as(after.bodyAsString()).isEqualTo(200);
    assertThat(adminPids()).as("and it answered the next listing").isEqualTo(before);
  }
}
