package io.latchkey.auth;

import io.latchkey.auth.session.TokenPair;
import io.latchkey.auth.testing.AuthFixture;
import io.latchkey.auth.testing.AuthTest;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Storage per session is constant: a chain of sequential refreshes of one session adds no row to
 * any table (the rotation is the session's generation), so what a session costs does not grow
 * with how often it refreshes. The sizes before and after are logged as a measurement, not
 * asserted (dead row versions come and go with PostgreSQL's page pruning and autovacuum). 1,000
 * refreshes by default; {@code -Dlatchkey.refreshStorage.count=100000} for the figure.
 */
@AuthTest
class RefreshStorageTest {

  private static final Logger LOG = LoggerFactory.getLogger(RefreshStorageTest.class);
  private static final int REFRESHES = Integer.getInteger("latchkey.refreshStorage.count", 1_000);

  /** Rows and total bytes (table, indexes, TOAST) of the tables a refresh touches or used to. */
  static JsonObject storage(AuthFixture auth) {
    return auth.query("""
        SELECT (SELECT count(*) FROM auth.sessions) AS session_rows,
               (SELECT count(*) FROM auth.retired_refresh_tokens) AS retired_rows,
               (SELECT count(*) FROM auth.audit_events) AS audit_rows,
               pg_total_relation_size('auth.sessions') AS sessions_bytes,
               pg_relation_size('auth.sessions') AS sessions_heap_bytes,
               pg_total_relation_size('auth.retired_refresh_tokens') AS retired_bytes""",
      rows -> rows.iterator().next().toJson());
  }

  @Test
  void sequentialRefreshesOfOneSessionAddNoRow(AuthFixture auth) {
    TokenPair login = auth.openSession(0, auth.users.add("nora", "noras long password"));
    JsonObject before = storage(auth);

    String token = login.refreshToken();
    for (int i = 0; i < REFRESHES; i++) {
      HttpResponse<Buffer> response = auth.refresh(0, token);
      assertThat(response.statusCode()).as("refresh %d: %s", i, response.bodyAsString()).isEqualTo(200);
      token = response.bodyAsJsonObject().getString("refreshToken");
    }

    JsonObject after = storage(auth);
    LOG.info("{} refreshes of one session: before {}, after {}", REFRESHES, before.encode(), after.encode());
    assertThat(after.getLong("retired_rows")).as("retired_refresh_tokens").isZero();
    assertThat(after.getLong("session_rows")).as("auth.sessions").isEqualTo(before.getLong("session_rows")).isEqualTo(1);
    assertThat(after.getLong("audit_rows")).as("a refresh writes no audit event").isEqualTo(before.getLong("audit_rows"));
    long generation = auth.query("SELECT refresh_generation FROM auth.sessions WHERE id = $1::uuid",
      rows -> rows.iterator().next().getLong("refresh_generation"), login.sessionId());
    assertThat(generation).isEqualTo(REFRESHES);
  }
}
