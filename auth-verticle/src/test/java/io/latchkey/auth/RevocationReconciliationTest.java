package io.latchkey.auth;

import io.latchkey.auth.session.TokenPair;
import io.latchkey.common.bus.Credentials;
import io.latchkey.common.testing.Await;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.UUID;

import static io.latchkey.common.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * PostgreSQL is the truth for revocations, the event bus only the fast path: a revocation that
 * reaches no node over the bus (written to the database only, as when its publish is lost in a
 * partition or its sender dies after the commit) is refused by every node within the
 * reconciliation interval.
 */
class RevocationReconciliationTest {

  private static final Logger LOG = LoggerFactory.getLogger(RevocationReconciliationTest.class);
  /** The interval set below (300 ms) plus room for a loaded 2-core machine; measured figures are logged. */
  private static final long BOUND_MS = 3000;
  static AuthFixture auth;
  static Credentials hana;

  @BeforeAll
  static void start() {
    auth = AuthFixture.start(2, Map.of("REVOCATION_RECONCILE_MS", "300"));
    hana = auth.users.add("hana", "hanas long password");
  }

  @AfterAll
  static void stop() {
    auth.close();
  }

  static TokenPair login(int node) {
    return await(auth.module(node).sessions().open(hana, "JUnit", "127.0.0.1", "test-" + UUID.randomUUID()));
  }

  static Future<String> validation(int node, String token) {
    return auth.request(node, HttpMethod.POST, "/auth/validate-token").putHeader("X-API-Key", AuthFixture.FULL_KEY)
      .sendJsonObject(new JsonObject().put("token", token))
      .map(r -> r.bodyAsJsonObject().getBoolean("valid") ? "valid" : r.bodyAsJsonObject().getString("reason"));
  }

  /** Polls both nodes until each refuses the token; the milliseconds it took. */
  static long millisUntilRevokedEverywhere(String token) {
    long since = System.nanoTime();
    for (int node = 0; node < 2; node++) {
      int n = node;
      boolean revoked = Await.until(auth.nodes.get(0), () -> validation(n, token).map("revoked"::equals), BOUND_MS);
      assertThat(revoked).as("refused on node " + n + " within " + BOUND_MS + " ms without any publish").isTrue();
    }
    return (System.nanoTime() - since) / 1_000_000;
  }

  @Test
  void aSessionRevokedOnlyInPostgresqlIsRefusedByEveryNodeWithinTheInterval() {
    TokenPair pair = login(0);
    assertThat(await(validation(0, pair.accessToken()))).isEqualTo("valid");
    assertThat(await(validation(1, pair.accessToken()))).as("remembered as verified on node 1 too").isEqualTo("valid");

    // what a node that missed the publish sees: the row changed, nothing on the bus
    int changed = auth.query("UPDATE auth.sessions SET revoked_at = now(), revoked_reason = 'logout' WHERE id = $1::uuid",
      rows -> rows.rowCount(), pair.sessionId());
    assertThat(changed).isEqualTo(1);

    LOG.info("a database-only session revocation was refused by both nodes after {} ms", millisUntilRevokedEverywhere(pair.accessToken()));
  }

  @Test
  void aGenerationRaisedOnlyInPostgresqlIsRefusedByEveryNodeWithinTheInterval() {
    TokenPair pair = login(1);
    assertThat(await(validation(0, pair.accessToken()))).isEqualTo("valid");

    // a roles change or deletion whose publish was lost: the user's token generation rose
    auth.query("""
        INSERT INTO auth.user_token_state (user_id, generation, updated_at) VALUES ($1::uuid, 1, now())
        ON CONFLICT (user_id) DO UPDATE SET generation = auth.user_token_state.generation + 1, updated_at = now()""",
      rows -> rows.rowCount(), hana.userId());

    LOG.info("a database-only generation raise was refused by both nodes after {} ms", millisUntilRevokedEverywhere(pair.accessToken()));
  }

  @Test
  void aLiveSessionStaysValidThroughSeveralReconciliations_waitsTheWholeBound() {
    // the control: a token whose session nobody revoked stays valid through several intervals
    TokenPair pair = login(0);
    boolean everRefused = Await.until(auth.nodes.get(0), () -> Future.all(validation(0, pair.accessToken()), validation(1, pair.accessToken()))
      .map(all -> !"valid".equals(all.resultAt(0)) || !"valid".equals(all.resultAt(1))), 1500);
    assertThat(everRefused).as("a live session refused within 1.5 s (waited the whole bound on purpose)").isFalse();
  }
}
