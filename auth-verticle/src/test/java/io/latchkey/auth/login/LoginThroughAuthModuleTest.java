package io.latchkey.auth.login;

import io.latchkey.auth.testing.AuthFixture;
import io.latchkey.auth.testing.AuthTest;
import io.latchkey.auth.testing.Problems;
import io.latchkey.auth.testing.FakeUserService;
import io.latchkey.common.BusAddresses;
import io.latchkey.common.BusClient;
import io.latchkey.common.bus.Credentials;
import io.latchkey.common.bus.UserNotice;
import io.latchkey.common.testing.Await;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Instant;
import java.util.UUID;

import static io.latchkey.common.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

/** The login side through the real auth module on two nodes: real sessions, tokens and guard. */
@Timeout(120)
@AuthTest(nodes = 2, settings = "LOGIN_ACCOUNT_MAX_FAILURES=3")
class LoginThroughAuthModuleTest {

  private final AuthFixture auth;

  LoginThroughAuthModuleTest(AuthFixture auth) {
    this.auth = auth;
  }

  HttpResponse<Buffer> login(int node, String login, String password) {
    return auth.login(node, login, password);
  }

  JsonObject validate(int node, String accessToken) {
    HttpResponse<Buffer> response = auth.postWithKey(node, "/auth/validate-token", new JsonObject().put("token", accessToken));
    assertThat(response.statusCode()).isEqualTo(200);
    return response.bodyAsJsonObject();
  }

  /** Polls validate-token on a node (bounded, on a Vert.x timer) until it says the token is not valid. */
  boolean rejectedWithinASecond(int node, String accessToken) {
    return Await.until(auth.nodes.get(node), () -> Future.succeededFuture(!validate(node, accessToken).getBoolean("valid")), 1000);
  }

  void notice(UserNotice notice) {
    BusClient bus = new BusClient(auth.nodes.get(0).eventBus(), auth.keys, 3000, "auth_service_unavailable", "auth service");
    assertThat(await(bus.request(BusAddresses.AUTH_SYNC, notice.toJson(), "rid-" + notice.eventId())))
      .isEqualTo(new JsonObject().put("applied", true));
  }

  @Test
  void aLoginOpensARealSessionWhoseTokenEveryNodeAccepts() {
    Credentials user = auth.users.addUnique("module", "password m1");

    HttpResponse<Buffer> response = login(1, user.username(), "password m1");

    assertThat(response.statusCode()).isEqualTo(200);
    JsonObject pair = response.bodyAsJsonObject();
    JsonObject check = validate(0, pair.getString("accessToken"));
    assertThat(check.getBoolean("valid")).isTrue();
    assertThat(check.getString("userId")).isEqualTo(user.userId());
    assertThat(check.getString("sessionId")).isEqualTo(pair.getString("sessionId"));
    long sessions = auth.query("SELECT count(*) FROM auth.sessions WHERE user_id = $1", rows -> rows.iterator().next().getLong(0),
      UUID.fromString(user.userId()));
    assertThat(sessions).isEqualTo(1);
  }

  @Test
  void aPasswordChangeNoticeRevokesOlderSessionsExceptTheKeptOneAndTheOldPassword() {
    Credentials user = auth.users.addUnique("module", "password m2");
    JsonObject kept = login(0, user.username(), "password m2").bodyAsJsonObject();
    JsonObject other = login(1, user.username(), "password m2").bodyAsJsonObject();
    auth.users.put(new Credentials(user.userId(), user.username(), user.email(), user.roles(),
      FakeUserService.hash("password m2 new"),
      2, Instant.now(), false, false));

    notice(new UserNotice(System.nanoTime(), UserNotice.Type.PASSWORD_CHANGED, user.userId(), 2L, kept.getString("sessionId"), Instant.now()));

    // the notice was applied by one of the nodes: the other sees the revocation within milliseconds
    assertThat(rejectedWithinASecond(0, other.getString("accessToken"))).isTrue();
    assertThat(rejectedWithinASecond(1, other.getString("accessToken"))).isTrue();
    assertThat(validate(0, kept.getString("accessToken")).getBoolean("valid")).isTrue();
    assertThat(validate(1, kept.getString("accessToken")).getBoolean("valid")).isTrue();
    assertThat(login(0, user.username(), "password m2").statusCode()).isEqualTo(401);
    assertThat(login(1, user.username(), "password m2").statusCode()).isEqualTo(401);
    assertThat(login(1, user.username(), "password m2 new").statusCode()).isEqualTo(200);
  }

  @Test
  void aDeletedUsersTokensDieAndTheirLoginFails() {
    Credentials user = auth.users.addUnique("module", "password m3");
    JsonObject pair = login(1, user.username(), "password m3").bodyAsJsonObject();
    auth.users.remove(user.userId());

    HttpResponse<Buffer> sync = auth.postWithKey(0, "/auth/sync/user-deleted", new JsonObject().put("userId", user.userId()));

    assertThat(sync.statusCode()).isEqualTo(204);
    assertThat(validate(0, pair.getString("accessToken")).getBoolean("valid")).isFalse();
    assertThat(rejectedWithinASecond(1, pair.getString("accessToken"))).isTrue();
    assertThat(login(0, user.username(), "password m3").statusCode()).isEqualTo(401);
  }

  @Test
  void theRealGuardProtectsTheAdminAndSyncRoutes() {
    Credentials user = auth.users.addUnique("module", "password m4");
    String userToken = login(0, user.username(), "password m4").bodyAsJsonObject().getString("accessToken");

    assertThat(auth.bearer(0, HttpMethod.GET, "/admin/password-cache", userToken).statusCode()).isEqualTo(403);
    HttpResponse<Buffer> withKey = await(auth.request(1, HttpMethod.GET, "/admin/password-cache")
      .putHeader("X-API-Key", AuthFixture.FULL_KEY).send());
    assertThat(withKey.statusCode()).isEqualTo(200);
    assertThat(withKey.bodyAsString()).doesNotContain("$2a$").doesNotContain("passwordHash").contains(user.userId());
    HttpResponse<Buffer> validateKey = auth.postJson(0, "/auth/sync/user-updated", new JsonObject().put("userId", user.userId()),
      "X-API-Key", AuthFixture.VALIDATE_KEY);
    Problems.assertProblem(validateKey, 401, "invalid_api_key");
    HttpResponse<Buffer> health = await(auth.request(1, HttpMethod.GET, "/health/cache").send());
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(health.bodyAsJsonObject().getInteger("size")).isGreaterThanOrEqualTo(1);
  }

  @Test
  void theAccountLocksAtTheConfiguredLimit() {
    Credentials user = auth.users.addUnique("module", "password m5");
    for (int i = 0; i < 3; i++) {
      assertThat(login(i % 2, user.username(), "wrong").statusCode()).isEqualTo(401);
    }
    HttpResponse<Buffer> locked = login(1, user.username(), "password m5");
    assertThat(locked.statusCode()).isEqualTo(429);
    assertThat(locked.getHeader("Retry-After")).isNotNull();
  }
}
