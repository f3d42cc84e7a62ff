package io.latchkey.auth;

import io.latchkey.auth.session.TokenPair;
import io.latchkey.auth.testing.AuthFixture;
import io.latchkey.auth.testing.AuthTest;
import io.latchkey.auth.testing.FakeUserService;
import io.latchkey.common.BusAddresses;
import io.latchkey.common.BusClient;
import io.latchkey.common.bus.Credentials;
import io.latchkey.common.testing.Await;
import io.vertx.core.Future;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.List;

import static io.latchkey.common.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two auth nodes of one cluster on one database: a revocation made on one node is in force
 * there at once and on the other within milliseconds, and survives a restart of the service.
 */
@AuthTest(nodes = 2)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RevocationAcrossNodesTest {

  private static final Logger LOG = LoggerFactory.getLogger(RevocationAcrossNodesTest.class);
  /** Generous for a loaded CI machine; measured figures are logged. */
  private static final long PROPAGATION_BOUND_MS = 2000;
  static Credentials gina;
  static TokenPair loggedOutBeforeRestart;
  static TokenPair invalidatedBeforeRestart;
  static TokenPair aliveBeforeRestart;

  private final AuthFixture auth;

  RevocationAcrossNodesTest(AuthFixture auth) {
    this.auth = auth;
  }

  @BeforeAll
  static void addUsers(FakeUserService users) {
    gina = users.add("gina", "ginas long password");
  }

  Future<String> validation(int node, String token) {
    return auth.request(node, HttpMethod.POST, "/auth/validate-token").putHeader("X-API-Key", AuthFixture.FULL_KEY)
      .sendJsonObject(new JsonObject().put("token", token))
      .map(r -> r.bodyAsJsonObject().getBoolean("valid") ? "valid" : r.bodyAsJsonObject().getString("reason"));
  }

  /** Polls node {@code node} until the token is revoked there; the milliseconds it took. */
  long millisUntilRevokedOn(int node, String token, long sinceNanos) {
    boolean revoked = Await.until(auth.nodes.get(node), () -> validation(node, token).map("revoked"::equals), PROPAGATION_BOUND_MS);
    long ms = (System.nanoTime() - sinceNanos) / 1_000_000;
    assertThat(revoked).as("revoked on node " + node + " within " + PROPAGATION_BOUND_MS + " ms").isTrue();
    return ms;
  }

  @Test
  @Order(1)
  void aLogoutOnOneNodeIsSeenOnTheOtherWithinMilliseconds() {
    TokenPair pair = auth.openSession(0, gina);
    assertThat(await(validation(1, pair.accessToken()))).as("valid on node 1 first (and remembered there)").isEqualTo("valid");

    assertThat(auth.bearer(0, HttpMethod.POST, "/auth/logout", pair.accessToken()).statusCode()).isEqualTo(204);
    long after = System.nanoTime();

    assertThat(await(validation(0, pair.accessToken()))).as("at once on the node that revoked").isEqualTo("revoked");
    long ms = millisUntilRevokedOn(1, pair.accessToken(), after);
    LOG.info("logout on node 0 seen on node 1 after {} ms", ms);
    assertThat(auth.bearer(1, HttpMethod.GET, "/auth/sessions", pair.accessToken()).statusCode()).isEqualTo(401);
  }

  @Test
  @Order(2)
  void theBusValidatorOfTheOtherNodeAgreesAsTheUserServiceWouldAsk() {
    TokenPair pair = auth.openSession(1, gina);
    BusClient bus = new BusClient(auth.nodes.get(0).eventBus(), auth.keys, 3000, "auth_service_unavailable", "auth service");
    assertThat(auth.bearer(1, HttpMethod.DELETE, "/auth/sessions/" + pair.sessionId(), pair.accessToken()).statusCode()).isEqualTo(204);
    long after = System.nanoTime();
    // the bus consumers of both nodes answer round-robin: every answer must say revoked
    JsonObject ask = new JsonObject().put("token", pair.accessToken());
    boolean allRevoked = Await.until(auth.nodes.get(0), () -> Future.all(List.of(
        bus.request(BusAddresses.AUTH_VALIDATE, ask, "r1"), bus.request(BusAddresses.AUTH_VALIDATE, ask, "r2"),
        bus.request(BusAddresses.AUTH_VALIDATE, ask, "r3"), bus.request(BusAddresses.AUTH_VALIDATE, ask, "r4")))
      .map(all -> all.list().stream().allMatch(m -> "revoked".equals(((JsonObject) m).getString("reason")))), PROPAGATION_BOUND_MS);
    assertThat(allRevoked).isTrue();
    LOG.info("session delete on node 1 seen by every bus validator after {} ms", (System.nanoTime() - after) / 1_000_000);
  }

  @Test
  @Order(3)
  void aRolesChangeInvalidatesAccessTokensEverywhereAndTheNextRefreshCarriesTheNewRoles() {
    Credentials hal = auth.users.add("hal", "hals long password");
    TokenPair pair = auth.openSession(0, hal);
    assertThat(await(validation(1, pair.accessToken()))).isEqualTo("valid");
    auth.users.put(new Credentials(hal.userId(), hal.username(), hal.email(), List.of("user", "admin"), hal.passwordHash(),
      hal.passwordVersion(), Instant.now(), false, false));

    await(auth.module(0).sessions().invalidateAccessTokens(hal.userId(), "roles-test"));
    long after = System.nanoTime();

    assertThat(await(validation(0, pair.accessToken()))).isEqualTo("revoked");
    LOG.info("roles change on node 0 seen on node 1 after {} ms", millisUntilRevokedOn(1, pair.accessToken(), after));
    JsonObject refreshed = auth.refresh(1, pair.refreshToken()).bodyAsJsonObject();
    assertThat(refreshed.getString("sessionId")).as("the session stays").isEqualTo(pair.sessionId());
    JsonObject validated = auth.validation(0, refreshed.getString("accessToken"));
    assertThat(validated.getBoolean("valid")).isTrue();
    assertThat(validated.getJsonArray("roles")).isEqualTo(new JsonArray().add("user").add("admin"));
    invalidatedBeforeRestart = pair;
  }

  @Test
  @Order(4)
  void revocationsSurviveAFullRestartOfTheService() {
    loggedOutBeforeRestart = auth.openSession(0, gina);
    aliveBeforeRestart = auth.openSession(1, gina);
    assertThat(auth.bearer(1, HttpMethod.POST, "/auth/logout", loggedOutBeforeRestart.accessToken()).statusCode()).isEqualTo(204);

    for (int node = 0; node < 2; node++) {
      await(auth.module(node).undeploy());
    }
    auth.deploy(0);
    auth.deploy(1);

    for (int node = 0; node < 2; node++) {
      assertThat(await(validation(node, loggedOutBeforeRestart.accessToken()))).as("logged out, node " + node).isEqualTo("revoked");
      assertThat(await(validation(node, invalidatedBeforeRestart.accessToken()))).as("roles changed, node " + node).isEqualTo("revoked");
      assertThat(await(validation(node, aliveBeforeRestart.accessToken()))).as("untouched session, node " + node).isEqualTo("valid");
    }
  }

  @Test
  @Order(5)
  void aUserDeletionRevokesEverySessionOnEveryNode() {
    Credentials ivan = auth.users.add("ivan", "ivans long password");
    TokenPair a = auth.openSession(0, ivan);
    TokenPair b = auth.openSession(1, ivan);

    int revoked = await(auth.module(1).sessions().revokeAllOfUser(ivan.userId(), "user_deleted", "delete-test"));
    long after = System.nanoTime();

    assertThat(revoked).isEqualTo(2);
    assertThat(await(validation(1, a.accessToken()))).isEqualTo("revoked");
    millisUntilRevokedOn(0, a.accessToken(), after);
    millisUntilRevokedOn(0, b.accessToken(), after);
    assertThat(auth.refresh(0, a.refreshToken()).statusCode()).isEqualTo(401);
    assertThat(await(auth.module(0).sessions().revokeAllOfUser(ivan.userId(), "user_deleted", "again"))).as("idempotent").isZero();
  }
}
