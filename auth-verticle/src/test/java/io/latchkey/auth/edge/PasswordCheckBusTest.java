package io.latchkey.auth.edge;

import io.latchkey.auth.AuthFixture;
import io.latchkey.common.ApiException;
import io.latchkey.common.ApiKeys;
import io.latchkey.common.BusAddresses;
import io.latchkey.common.BusClient;
import io.latchkey.common.bus.Credentials;
import io.latchkey.common.bus.PasswordCheck;
import io.latchkey.common.bus.PasswordCheck.Step;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.latchkey.common.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code AUTH_PASSWORD_CHECK}: the user service's password checks (change-password) count in the
 * same account lockout as logins, on the real LoginThrottle of two auth nodes.
 */
@Timeout(120)
class PasswordCheckBusTest {

  static AuthFixture auth;

  @BeforeAll
  static void start() {
    auth = AuthFixture.start(2, Map.of("LOGIN_ACCOUNT_MAX_FAILURES", "3"));
  }

  @AfterAll
  static void stop() {
    if (auth != null) {
      auth.close();
    }
  }

  private static BusClient bus(int node) {
    return new BusClient(auth.nodes.get(node).eventBus(), auth.keys, 3000, "auth_service_unavailable", "auth service");
  }

  private static Future<JsonObject> step(int node, String userId, Step step) {
    return bus(node).request(BusAddresses.AUTH_PASSWORD_CHECK, new PasswordCheck(userId, step).toJson(), "rid-" + step.wire());
  }

  private static ApiException failure(Future<?> future) {
    Throwable err = await(future.map(x -> (Throwable) null).otherwise(e -> e));
    assertThat(err).isInstanceOf(ApiException.class);
    return (ApiException) err;
  }

  private static HttpResponse<Buffer> login(String login, String password) {
    return auth.postJson(0, "/auth/login", new JsonObject().put("login", login).put("password", password));
  }

  @Test
  void wrongCurrentPasswordsLockTheAccountForLoginsToo() {
    Credentials user = auth.users.add("check-" + UUID.randomUUID().toString().substring(0, 8), "password c1");
    for (int i = 0; i < 3; i++) {
      int node = i % 2;
      assertThat(await(step(node, user.userId(), Step.RESERVE))).isEqualTo(new JsonObject().put("ok", true));
      await(step(node, user.userId(), Step.FAILED));
    }
    ApiException locked = failure(step(1, user.userId(), Step.RESERVE));
    assertThat(locked.status()).isEqualTo(429);
    assertThat(locked.code()).isEqualTo("too_many_attempts");
    assertThat(Long.parseLong(locked.headers().get("Retry-After"))).isBetween(1L, 60L);

    HttpResponse<Buffer> response = login(user.username(), "password c1");
    assertThat(response.statusCode()).isEqualTo(429);
    assertThat(response.bodyAsJsonObject().getString("code")).isEqualTo("too_many_attempts");
  }

  @Test
  void failedLoginsLockThePasswordCheckAndASuccessResets() {
    Credentials user = auth.users.add("both-" + UUID.randomUUID().toString().substring(0, 8), "password c2");
    assertThat(login(user.username(), "wrong 1").statusCode()).isEqualTo(401);
    assertThat(login(user.username(), "wrong 2").statusCode()).isEqualTo(401);
    await(step(0, user.userId(), Step.RESERVE));
    await(step(0, user.userId(), Step.SUCCEEDED));
    // the count is back to zero: three more failures are checked before the lock
    for (int i = 0; i < 3; i++) {
      await(step(1, user.userId(), Step.RESERVE));
      await(step(1, user.userId(), Step.FAILED));
    }
    assertThat(failure(step(0, user.userId(), Step.RESERVE)).status()).isEqualTo(429);
  }

  @Test
  void aReleasedCheckIsGivenBack() {
    Credentials user = auth.users.add("released-" + UUID.randomUUID().toString().substring(0, 8), "password c3");
    for (int i = 0; i < 5; i++) {
      await(step(0, user.userId(), Step.RESERVE));
      await(step(0, user.userId(), Step.RELEASED));
    }
    assertThat(login(user.username(), "password c3").statusCode()).isEqualTo(200);
  }

  @Test
  void malformedChecksAndForeignKeysAreRefused() {
    ApiException notUuid = failure(step(0, "not-a-uuid", Step.RESERVE));
    assertThat(notUuid.status()).isEqualTo(400);
    ApiException unknownStep = failure(bus(0).request(BusAddresses.AUTH_PASSWORD_CHECK,
      new JsonObject().put("userId", UUID.randomUUID().toString()).put("step", "forget"), "rid"));
    assertThat(unknownStep.status()).isEqualTo(400);
    BusClient stranger = new BusClient(auth.nodes.get(0).eventBus(), new ApiKeys(List.of("not-the-cluster-key"), List.of(), null),
      3000, "auth_service_unavailable", "auth service");
    ApiException refused = failure(stranger.request(BusAddresses.AUTH_PASSWORD_CHECK,
      new PasswordCheck(UUID.randomUUID().toString(), Step.RESERVE).toJson(), "rid"));
    assertThat(refused.status()).isEqualTo(401);
  }
}
