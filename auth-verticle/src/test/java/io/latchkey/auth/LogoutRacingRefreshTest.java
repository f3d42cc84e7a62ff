package io.latchkey.auth;

import io.latchkey.auth.session.TokenPair;
import io.latchkey.common.bus.Credentials;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static io.latchkey.common.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A logout never loses to a refresh running at the same moment: whatever the interleaving, a
 * logout by refresh token that answers 204 leaves the session revoked, and one that answers
 * 401 leaves no session alive either. Also for DELETE /auth/sessions/{id} and logout-all.
 */
class LogoutRacingRefreshTest {

  private static final int ROUNDS = 25;
  static AuthFixture auth;
  static Credentials ines;

  @BeforeAll
  static void start() {
    auth = AuthFixture.start(2);
    ines = auth.users.add("ines", "ines long password");
  }

  @AfterAll
  static void stop() {
    auth.close();
  }

  static TokenPair login() {
    return await(auth.module(0).sessions().open(ines, "JUnit", "127.0.0.1", "test-" + UUID.randomUUID()));
  }

  static Future<HttpResponse<Buffer>> post(int node, String path, JsonObject body) {
    return auth.request(node, HttpMethod.POST, path).sendJsonObject(body);
  }

  static boolean revoked(String sessionId) {
    return auth.query("SELECT revoked_at IS NOT NULL AS revoked FROM auth.sessions WHERE id = $1::uuid",
      rows -> rows.iterator().next().getBoolean("revoked"), sessionId);
  }

  @Test
  void aLogoutByRefreshTokenRacingRefreshesOfTheSameTokenAlwaysEndsTheSession() {
    for (int round = 0; round < ROUNDS; round++) {
      TokenPair pair = login();
      JsonObject body = new JsonObject().put("refreshToken", pair.refreshToken());
      List<Future<HttpResponse<Buffer>>> racing = new ArrayList<>();
      racing.add(post(round % 2, "/auth/refresh", body));
      racing.add(post((round + 1) % 2, "/auth/logout", body));
      racing.add(post(round % 2, "/auth/refresh", body));
      await(Future.join(racing), 30);

      int logout = racing.get(1).result().statusCode();
      assertThat(logout).as("round %d: logout answered", round).isEqualTo(204);
      assertThat(revoked(pair.sessionId())).as("round %d: session revoked after a 204 logout", round).isTrue();
      // no refresh answer can keep the session alive: any successor it handed out is dead
      for (int i : new int[] {0, 2}) {
        HttpResponse<Buffer> refresh = racing.get(i).result();
        if (refresh.statusCode() == 200) {
          String successor = refresh.bodyAsJsonObject().getString("refreshToken");
          assertThat(auth.postJson(0, "/auth/refresh", new JsonObject().put("refreshToken", successor)).statusCode())
            .as("round %d: the successor of a refresh that raced the logout", round).isEqualTo(401);
        }
      }
    }
  }

  @Test
  void aSessionDeleteRacingItsRefreshAlwaysEndsTheSession() {
    for (int round = 0; round < ROUNDS; round++) {
      TokenPair pair = login();
      Future<HttpResponse<Buffer>> refresh = post(round % 2, "/auth/refresh", new JsonObject().put("refreshToken", pair.refreshToken()));
      Future<HttpResponse<Buffer>> delete = auth.request((round + 1) % 2, HttpMethod.DELETE, "/auth/sessions/" + pair.sessionId())
        .bearerTokenAuthentication(pair.accessToken()).send();
      await(Future.join(refresh, delete), 30);
      assertThat(delete.result().statusCode()).as("round %d", round).isEqualTo(204);
      assertThat(revoked(pair.sessionId())).as("round %d", round).isTrue();
    }
  }

  @Test
  void aLogoutWithAnOlderTokenOfTheSessionEndsItToo() {
    TokenPair first = login();
    JsonObject rotated = auth.postJson(0, "/auth/refresh", new JsonObject().put("refreshToken", first.refreshToken())).bodyAsJsonObject();
    auth.postJson(0, "/auth/refresh", new JsonObject().put("refreshToken", rotated.getString("refreshToken")));

    assertThat(auth.postJson(1, "/auth/logout", new JsonObject().put("refreshToken", first.refreshToken())).statusCode()).isEqualTo(204);
    assertThat(revoked(first.sessionId())).isTrue();
    assertThat(auth.postJson(1, "/auth/logout", new JsonObject().put("refreshToken", first.refreshToken())).statusCode())
      .as("already ended: nothing to log out").isEqualTo(401);
  }
}
