package io.latchkey.e2e;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The two real services together: a wrong current password on change-password counts in the
 * same account lockout as logins (the user service asks the auth service over the bus), and a
 * login names the same user by any case spelling of its email, cached or not.
 */
@Timeout(120)
class InputAndThrottlesEndToEndTest {

  private static final String PASSWORD = "a long passphrase 42";
  static BothServices both;

  @BeforeAll
  static void start() {
    both = BothServices.start(Map.of("LOGIN_ACCOUNT_MAX_FAILURES", "3"));
  }

  @AfterAll
  static void stop() {
    if (both != null) {
      both.close();
    }
  }

  private static JsonObject register(String username, String email) {
    HttpResponse<Buffer> response = both.call(both.userPort(), HttpMethod.POST, "/users", Map.of(),
      new JsonObject().put("username", username).put("email", email).put("password", PASSWORD));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(201);
    return response.bodyAsJsonObject();
  }

  private static HttpResponse<Buffer> login(int node, String login, String password) {
    return both.call(both.authPort(node), HttpMethod.POST, "/auth/login", Map.of(),
      new JsonObject().put("login", login).put("password", password));
  }

  @Test
  void wrongCurrentPasswordsLockTheAccountEverywhere() {
    JsonObject user = register("locked_e2e", "locked.e2e@example.com");
    HttpResponse<Buffer> session = login(0, "locked_e2e", PASSWORD);
    assertThat(session.statusCode()).isEqualTo(200);
    Map<String, String> bearer = Map.of("Authorization", "Bearer " + session.bodyAsJsonObject().getString("accessToken"));
    String path = "/users/" + user.getString("id") + "/change-password";
    for (int i = 0; i < 3; i++) {
      HttpResponse<Buffer> wrong = both.call(both.userPort(), HttpMethod.POST, path, bearer,
        new JsonObject().put("currentPassword", "guess " + i + " of the thief").put("newPassword", "the thief's passphrase"));
      assertThat(wrong.statusCode()).as(wrong.bodyAsString()).isEqualTo(403);
    }
    HttpResponse<Buffer> locked = both.call(both.userPort(), HttpMethod.POST, path, bearer,
      new JsonObject().put("currentPassword", PASSWORD).put("newPassword", "the thief's passphrase"));
    assertThat(locked.statusCode()).as(locked.bodyAsString()).isEqualTo(429);
    assertThat(locked.bodyAsJsonObject().getString("code")).isEqualTo("too_many_attempts");
    assertThat(locked.getHeader("Retry-After")).isNotBlank();
    for (int node = 0; node < BothServices.AUTH_NODES; node++) {
      HttpResponse<Buffer> loginLocked = login(node, "locked_e2e", PASSWORD);
      assertThat(loginLocked.statusCode()).isEqualTo(429);
    }
  }

  @Test
  void everySpellingOfAGreekEmailLogsInTheSameUserCachedOrNot() {
    JsonObject user = register("odysseus_e2e", "ὀδυσσεύς@ithaca.example");
    // first login: not cached, found by the user service's email key; the second: from the cache
    for (String spelling : new String[] {"ὈΔΥΣΣΕΎΣ@ITHACA.EXAMPLE", "ὀδυσσεύσ@ithaca.example", "ὀδυσσεύς@ithaca.example"}) {
      for (int node = 0; node < BothServices.AUTH_NODES; node++) {
        HttpResponse<Buffer> response = login(node, spelling, PASSWORD);
        assertThat(response.statusCode()).as(spelling + " on " + node).isEqualTo(200);
        HttpResponse<Buffer> me = both.call(both.authPort(node), HttpMethod.GET, "/auth/me",
          Map.of("Authorization", "Bearer " + response.bodyAsJsonObject().getString("accessToken")), null);
        assertThat(me.bodyAsJsonObject().getString("id")).isEqualTo(user.getString("id"));
      }
    }
  }

  @Test
  void aNulInALoginIs400NotAnOutage() {
    HttpResponse<Buffer> response = login(0, "nul\u0000login", PASSWORD);
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(400);
    assertThat(response.bodyAsJsonObject().getString("code")).isEqualTo("validation_failed");
  }
}
