package io.latchkey.auth;

import io.latchkey.auth.testing.AuthFixture;
import io.latchkey.auth.testing.AuthTest;
import io.latchkey.auth.testing.Problems;
import io.latchkey.auth.testing.FakeUserService;
import io.latchkey.auth.session.TokenPair;
import io.latchkey.common.bus.Credentials;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.UUID;

import static io.latchkey.common.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

/** GET /auth/me, GET /auth/sessions, DELETE /auth/sessions/{id}, and a login through the real module. */
@AuthTest
class SessionEndpointsTest {

  static Credentials dora;
  static Credentials eve;

  private final AuthFixture auth;

  SessionEndpointsTest(AuthFixture auth) {
    this.auth = auth;
  }

  @BeforeAll
  static void addUsers(FakeUserService users) {
    dora = users.add("dora", "doras long password");
    eve = users.add("eve", "eves long password");
  }

  TokenPair login(Credentials user, String userAgent) {
    return auth.openSession(0, user, userAgent, "10.1.2.3");
  }

  @Test
  void meIsTheUserFromTheUserServicePlusTheSessionId() {
    TokenPair pair = login(dora, "JUnit");
    HttpResponse<Buffer> response = auth.bearer(0, HttpMethod.GET, "/auth/me", pair.accessToken());
    assertThat(response.statusCode()).isEqualTo(200);
    JsonObject expected = FakeUserService.publicJson(dora).put("sessionId", pair.sessionId());
    assertThat(response.bodyAsJsonObject()).isEqualTo(expected);
    assertThat(response.bodyAsString()).doesNotContain("$2");
  }

  @Test
  void meWhileTheUserServiceIsDownIs503() {
    TokenPair pair = login(dora, "JUnit");
    await(auth.users.stop());
    try {
      HttpResponse<Buffer> response = auth.bearer(0, HttpMethod.GET, "/auth/me", pair.accessToken());
      Problems.assertProblem(response, 503, "user_service_unavailable");
      assertThat(response.getHeader("Retry-After")).isNotNull();
    } finally {
      await(auth.users.start());
    }
  }

  @Test
  void meWithoutOrWithABadTokenIs401WithTheChallenge() {
    HttpResponse<Buffer> none = await(auth.request(0, HttpMethod.GET, "/auth/me").send());
    assertThat(none.statusCode()).isEqualTo(401);
    assertThat(none.getHeader("WWW-Authenticate")).isEqualTo("Bearer");
    assertThat(none.bodyAsJsonObject().getString("code")).isEqualTo("invalid_token");
    HttpResponse<Buffer> apiKeyInstead = await(auth.request(0, HttpMethod.GET, "/auth/me").putHeader("X-API-Key", AuthFixture.FULL_KEY).send());
    Problems.assertProblem(apiKeyInstead, 401, "invalid_token");
  }

  @Test
  void meForAUserWhoNoLongerExistsIs401() {
    Credentials gone = auth.users.add("gone", "gones long password");
    TokenPair pair = login(gone, "JUnit");
    auth.users.remove(gone.userId());
    HttpResponse<Buffer> response = auth.bearer(0, HttpMethod.GET, "/auth/me", pair.accessToken());
    Problems.assertProblem(response, 401, "invalid_token");
  }

  @Test
  void sessionsListsTheActiveSessionsOfTheCallerOnly() {
    Credentials frank = auth.users.add("frank", "franks long password");
    TokenPair laptop = login(frank, "Laptop/1.0");
    TokenPair phone = login(frank, "Phone/2.0");
    TokenPair revoked = login(frank, "Old/0.1");
    login(eve, "Eve/1.0");
    assertThat(auth.bearer(0, HttpMethod.POST, "/auth/logout", revoked.accessToken()).statusCode()).isEqualTo(204);

    HttpResponse<Buffer> response = auth.bearer(0, HttpMethod.GET, "/auth/sessions", phone.accessToken());

    assertThat(response.statusCode()).isEqualTo(200);
    JsonArray items = response.bodyAsJsonObject().getJsonArray("items");
    assertThat(items).hasSize(2);
    JsonObject first = items.getJsonObject(0);
    assertThat(first.fieldNames()).containsExactlyInAnyOrder("id", "createdAt", "lastUsedAt", "expiresAt", "userAgent", "ip", "amr",
      "current");
    assertThat(first.getJsonArray("amr")).as("a password login").containsExactly("pwd");
    assertThat(items.stream().map(i -> ((JsonObject) i).getString("id"))).containsExactlyInAnyOrder(laptop.sessionId(), phone.sessionId());
    for (Object o : items) {
      JsonObject item = (JsonObject) o;
      assertThat(item.getBoolean("current")).isEqualTo(item.getString("id").equals(phone.sessionId()));
      assertThat(item.getString("ip")).isEqualTo("10.1.2.3");
      assertThat(Instant.parse(item.getString("createdAt"))).isBefore(Instant.now().plusSeconds(1));
      assertThat(Instant.parse(item.getString("expiresAt"))).isAfter(Instant.now().plusSeconds(29L * 86400));
    }
    assertThat(items.stream().map(i -> ((JsonObject) i).getString("userAgent"))).containsExactlyInAnyOrder("Laptop/1.0", "Phone/2.0");
  }

  @Test
  void deletingOwnSessionRevokesItsTokensAtOnce() {
    TokenPair current = login(dora, "A");
    TokenPair other = login(dora, "B");

    HttpResponse<Buffer> response = auth.bearer(0, HttpMethod.DELETE, "/auth/sessions/" + other.sessionId(), current.accessToken());

    assertThat(response.statusCode()).isEqualTo(204);
    assertThat(auth.bearer(0, HttpMethod.GET, "/auth/sessions", other.accessToken()).statusCode()).isEqualTo(401);
    assertThat(auth.bearer(0, HttpMethod.GET, "/auth/sessions", current.accessToken()).statusCode()).isEqualTo(200);
    assertThat(auth.refresh(0, other.refreshToken()).statusCode()).isEqualTo(401);
    String reason = auth.revokedReason(other.sessionId());
    assertThat(reason).isEqualTo("session_deleted");
    HttpResponse<Buffer> again = auth.bearer(0, HttpMethod.DELETE, "/auth/sessions/" + other.sessionId(), current.accessToken());
    assertThat(again.statusCode()).as("a revoked session is no longer found").isEqualTo(404);
  }

  @Test
  void anotherUsersUnknownOrNonUuidSessionIsNotFound() {
    TokenPair doras = login(dora, "A");
    TokenPair eves = login(eve, "B");
    for (String id : new String[] {eves.sessionId(), UUID.randomUUID().toString(), "not-a-uuid", "1"}) {
      HttpResponse<Buffer> response = auth.bearer(0, HttpMethod.DELETE, "/auth/sessions/" + id, doras.accessToken());
      assertThat(response.statusCode()).as(id).isEqualTo(404);
      assertThat(response.bodyAsJsonObject().getString("code")).as(id).isEqualTo("session_not_found");
    }
    assertThat(auth.bearer(0, HttpMethod.GET, "/auth/sessions", eves.accessToken()).statusCode()).as("eve's session lives").isEqualTo(200);
    assertThat(await(auth.request(0, HttpMethod.DELETE, "/auth/sessions/" + eves.sessionId()).send()).statusCode()).isEqualTo(401);
  }

  @Test
  void aLoginThroughTheModuleGivesAPairThatWorksEverywhere() {
    HttpResponse<Buffer> login = await(auth.request(0, HttpMethod.POST, "/auth/login").putHeader("User-Agent", "curl/8")
      .sendJsonObject(new JsonObject().put("login", "dora").put("password", "doras long password")));
    assertThat(login.statusCode()).as(login.bodyAsString()).isEqualTo(200);
    JsonObject pair = login.bodyAsJsonObject();
    String access = pair.getString("accessToken");
    assertThat(auth.bearer(0, HttpMethod.GET, "/auth/me", access).bodyAsJsonObject().getString("sessionId"))
      .isEqualTo(pair.getString("sessionId"));
    JsonObject refreshed = auth.refresh(0, pair.getString("refreshToken")).bodyAsJsonObject();
    assertThat(refreshed.getString("sessionId")).isEqualTo(pair.getString("sessionId"));
    long passwordVersion = auth.query("SELECT password_version FROM auth.sessions WHERE id = $1::uuid",
      rows -> rows.iterator().next().getLong("password_version"), pair.getString("sessionId"));
    assertThat(passwordVersion).isEqualTo(dora.passwordVersion());
  }
}
