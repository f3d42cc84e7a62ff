package io.latchkey.user;

import io.latchkey.user.testing.FakeAuthService;
import io.latchkey.user.testing.OnNode;
import io.latchkey.user.testing.UserServiceFixture;
import io.latchkey.user.testing.UserServiceTest;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static io.latchkey.common.testing.Await.await;
import static io.latchkey.common.testing.Await.until;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * While a notice travels to a slow auth service, the relay holds no row lock and no database
 * connection: the pool (two connections here) keeps serving requests, and the outbox row is
 * merely leased.
 */
@UserServiceTest(nodes = 2, services = 1, fakeAuth = false,
  settings = {"NOTICE_WAIT_MS=100", "BUS_TIMEOUT_MS=8000", "DATABASE_POOL_SIZE=2", "DATABASE_CONNECT_TIMEOUT_MS=500"})
class OutboxRelayHoldsNothingTest {

  private static UserServiceFixture f;
  private static FakeAuthService slowAuth;
  private static Vertx node;

  @BeforeAll
  static void start(Vertx userNode, UserServiceFixture fixture, @OnNode(1) Vertx peerNode) {
    node = userNode;
    f = fixture;
    slowAuth = new FakeAuthService(peerNode, UserServiceFixture.KEYS);
    slowAuth.ackDelay(3000);
    await(slowAuth.startSync());
  }

  @AfterAll
  static void stop() {
    await(slowAuth.stopSync());
  }

  @Test
  void whileNoticesAwaitASlowAuthServiceThePoolServesAndNoRowIsLocked() {
    String[] ids = new String[3];
    for (int i = 0; i < ids.length; i++) {
      ids[i] = f.register("relay_" + i, "relay_" + i + "@example.com", "a sturdy passphrase").getString("id");
    }
    // three changes, each answering after the short notice wait while its notice is still in flight
    for (String id : ids) {
      assertThat(f.send(HttpMethod.PUT, "/users/" + id + "/roles", new JsonObject().put("roles", new JsonArray().add("admin")),
        UserServiceFixture.key()).statusCode()).isEqualTo(200);
    }
    assertThat(until(node, () -> Future.succeededFuture(f.rows(
      "SELECT 1 FROM users.outbox WHERE delivered_at IS NULL AND lease_until > now()").size() == ids.length), 3000))
      .as("all three notices leased, i.e. on their way").isTrue();

    // with the old design the two pooled connections would sit in open transactions now
    assertThat(f.rows("SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND state = 'idle in transaction'"))
      .as("connections left in an open transaction while the notices travel").isEmpty();
    assertThat(f.rows("SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE c.relname = 'outbox' AND l.mode = 'RowShareLock'"))
      .as("row locks on the outbox while the notices travel").isEmpty();
    for (String id : ids) {
      assertThat(f.send(HttpMethod.GET, "/users/" + id, null, UserServiceFixture.key()).statusCode())
        .as("the pool still serves while the relay waits").isEqualTo(200);
    }

    assertThat(until(node, () -> Future.succeededFuture(f.rows(
      "SELECT 1 FROM users.outbox WHERE delivered_at IS NULL").isEmpty()), 15_000)).as("then every notice is delivered").isTrue();
    assertThat(f.rows("SELECT 1 FROM users.outbox WHERE lease_until IS NOT NULL")).as("and no lease is left").isEmpty();
    assertThat(slowAuth.received()).hasSizeGreaterThanOrEqualTo(ids.length);
  }
}
