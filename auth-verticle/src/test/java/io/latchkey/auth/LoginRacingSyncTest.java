package io.latchkey.auth;

import io.latchkey.auth.testing.AuthFixture;
import io.latchkey.auth.testing.AuthTest;
import io.latchkey.auth.session.TokenPair;
import io.latchkey.common.ApiException;
import io.latchkey.common.bus.Credentials;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * A login reads the credentials, spends a bcrypt check, then opens its session. These tests take
 * the worst interleaving: the whole sync (through {@code POST /auth/sync/*}, the same code as the
 * bus notices) runs between the credentials read and the session insert, so its revocation or
 * roles update cannot have seen the new session. No session of the old state may survive it.
 */
@AuthTest
class LoginRacingSyncTest {

  private final AuthFixture auth;

  LoginRacingSyncTest(AuthFixture auth) {
    this.auth = auth;
  }

  Throwable openFailure(Credentials readBeforeTheSync) {
    return catchThrowable(() -> auth.openSession(0, readBeforeTheSync));
  }

  TokenPair open(Credentials user) {
    return auth.openSession(0, user);
  }

  void sync(String path, JsonObject body) {
    HttpResponse<Buffer> response = auth.postWithKey(0, path, body);
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(204);
  }

  List<String> aliveSessions(String userId) {
    return auth.liveSessionIds(userId);
  }

  JsonObject validation(String accessToken) {
    return auth.validation(0, accessToken);
  }

  static void assertInvalidCredentials(Throwable failure) {
    Throwable cause = failure instanceof AssertionError && failure.getCause() != null ? failure.getCause() : failure;
    assertThat(cause).isInstanceOf(ApiException.class);
    ApiException api = (ApiException) cause;
    assertThat(api.status()).isEqualTo(401);
    assertThat(api.code()).isEqualTo("invalid_credentials");
  }

  @Test
  void aSessionOpenedAfterAPasswordChangeWasSyncedIsRevokedAndTheLoginRefused() {
    Credentials before = auth.users.add("pia", "pias long password");
    Credentials after = new Credentials(before.userId(), before.username(), before.email(), before.roles(),
      before.passwordHash(), 2, before.updatedAt().plusMillis(5), false, false);
    auth.users.put(after);
    sync("/auth/sync/password", new JsonObject().put("userId", before.userId()).put("passwordVersion", 2));

    assertInvalidCredentials(openFailure(before));

    assertThat(aliveSessions(before.userId())).as("sessions of password version 1 alive").isEmpty();
    String reason = auth.revokedReason(auth.sessionIds(before.userId()).get(0));
    assertThat(reason).isEqualTo("password_changed");
    TokenPair withTheNewPassword = open(after);
    assertThat(validation(withTheNewPassword.accessToken()).getBoolean("valid")).as("a login with the new password").isTrue();
  }

  @Test
  void aSessionOpenedAfterADeletionWasSyncedIsRevokedAndTheLoginRefused() {
    Credentials before = auth.users.add("dan", "dans long password");
    auth.users.remove(before.userId());
    sync("/auth/sync/user-deleted", new JsonObject().put("userId", before.userId()));

    assertInvalidCredentials(openFailure(before));

    assertThat(aliveSessions(before.userId())).as("sessions of a deleted user alive").isEmpty();
  }

  @Test
  void aSessionOpenedWithTheRolesFromBeforeADemotionGetsNoValidAdminTokenAndItsRefreshCarriesTheNewRoles() {
    Credentials before = auth.users.add("ada", "adas long password", "user", "admin");
    TokenPair earlier = open(before);
    Credentials demoted = new Credentials(before.userId(), before.username(), before.email(), List.of("user"),
      before.passwordHash(), before.passwordVersion(), before.updatedAt().plusMillis(5), false, false);
    auth.users.put(demoted);
    sync("/auth/sync/user-updated", new JsonObject().put("userId", before.userId()));

    TokenPair racing = open(before);

    JsonObject validated = validation(racing.accessToken());
    assertThat(validated.getBoolean("valid") && validated.getJsonArray("roles").contains("admin"))
      .as("the racing login's access token is valid with the admin role: " + validated).isFalse();
    HttpResponse<Buffer> refreshed = auth.refresh(0, racing.refreshToken());
    assertThat(refreshed.statusCode()).as(refreshed.bodyAsString()).isEqualTo(200);
    JsonObject afterRefresh = validation(refreshed.bodyAsJsonObject().getString("accessToken"));
    assertThat(afterRefresh.getBoolean("valid")).isTrue();
    assertThat(afterRefresh.getJsonArray("roles")).isEqualTo(new JsonArray().add("user"));
    String[] stored = auth.sessionRoles(racing.sessionId());
    assertThat(stored).containsExactly("user");
    assertThat(validation(earlier.accessToken()).getBoolean("valid")).as("a token from before the demotion").isFalse();
    TokenPair afterTheDemotion = open(demoted);
    JsonObject current = validation(afterTheDemotion.accessToken());
    assertThat(current.getBoolean("valid")).as("a login with the current roles: " + current).isTrue();
    assertThat(current.getJsonArray("roles")).isEqualTo(new JsonArray().add("user"));
  }
}
