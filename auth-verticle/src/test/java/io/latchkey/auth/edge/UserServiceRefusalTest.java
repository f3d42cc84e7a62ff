package io.latchkey.auth.edge;

import io.latchkey.auth.AuthFixture;
import io.latchkey.common.ApiException;
import io.latchkey.common.BusAddresses;
import io.latchkey.common.BusReplies;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;

import static io.latchkey.common.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A user service that answers a credentials request with a 4xx other than 404/400 (a contract
 * mismatch) makes the login an ordinary, counted failure (401), never an uncounted 503; its 401
 * (this node's key refused) is a misconfiguration and stays 503.
 */
@Timeout(120)
class UserServiceRefusalTest {

  static AuthFixture auth;
  static final AtomicReference<ApiException> answer = new AtomicReference<>();
  static MessageConsumer<JsonObject> stand;

  @BeforeAll
  static void start() {
    auth = AuthFixture.start(1, Map.of("LOGIN_ACCOUNT_MAX_FAILURES", "2"));
    await(auth.users.stop());
    stand = auth.nodes.get(0).eventBus().consumer(BusAddresses.USER_CREDENTIALS,
      BusReplies.guarded(auth.keys, (body, rid) -> Future.failedFuture(answer.get())));
    await(stand.completion());
  }

  @AfterAll
  static void stop() {
    if (auth != null) {
      await(stand.unregister());
      auth.close();
    }
  }

  private static HttpResponse<Buffer> login(String login) {
    return auth.postJson(0, "/auth/login", new JsonObject().put("login", login).put("password", "some password 1"));
  }

  @Test
  void aForbiddenOrConflictAnswerIsACountedUnknownLogin() {
    for (int status : new int[] {403, 409, 422}) {
      answer.set(new ApiException(status, "something_else", "refused by the stand-in"));
      String name = "refused-" + status + "-" + UUID.randomUUID().toString().substring(0, 8);
      HttpResponse<Buffer> first = login(name);
      assertThat(first.statusCode()).as(first.bodyAsString()).isEqualTo(401);
      assertThat(first.bodyAsJsonObject().getString("code")).isEqualTo("invalid_credentials");
      assertThat(login(name).statusCode()).isEqualTo(401);
      // counted like any unknown login: the third attempt on that login is locked
      assertThat(login(name).statusCode()).isEqualTo(429);
    }
  }

  @Test
  void theUserServiceRefusingOurKeyStays503AndIsNotCounted() {
    answer.set(ApiException.invalidApiKey());
    String name = "keyless-" + UUID.randomUUID().toString().substring(0, 8);
    for (int i = 0; i < 4; i++) {
      HttpResponse<Buffer> response = login(name);
      assertThat(response.statusCode()).isEqualTo(503);
      assertThat(response.bodyAsJsonObject().getString("code")).isEqualTo("user_service_unavailable");
    }
  }
}
