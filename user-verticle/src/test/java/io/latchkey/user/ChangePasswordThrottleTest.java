package io.latchkey.user;

import io.latchkey.common.bus.PasswordCheck;
import io.latchkey.common.bus.PasswordCheck.Step;
import io.latchkey.user.testing.UserServiceFixture;
import io.latchkey.user.testing.UserServiceTest;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;

import java.util.List;

import static io.latchkey.common.testing.Await.await;
import static io.latchkey.user.testing.Problems.assertCompleteProblem;
import static io.latchkey.user.testing.Problems.assertProblem;
import static io.latchkey.user.testing.UserServiceFixture.bearer;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The current password of a change is counted in the account's login lockout, which the auth
 * service owns (here the fake's simplified counter over the real bus address): reserved before
 * bcrypt, reported after; locked is 429, an auth service that cannot count is 503.
 */
@UserServiceTest
class ChangePasswordThrottleTest {

  private final UserServiceFixture f;

  ChangePasswordThrottleTest(UserServiceFixture f) {
    this.f = f;
  }

  private HttpResponse<Buffer> change(JsonObject owner, String current, String next) {
    return f.send(HttpMethod.POST, "/users/" + owner.getJsonObject("user").getString("id") + "/change-password",
      new JsonObject().put("currentPassword", current).put("newPassword", next), bearer(owner.getString("token")));
  }

  private List<Step> stepsOf(JsonObject owner) {
    String id = owner.getJsonObject("user").getString("id");
    return f.auth.passwordChecks().stream().filter(c -> c.userId().equals(id)).map(PasswordCheck::step).toList();
  }

  @Test
  void wrongCurrentPasswordsAreCountedAndTheLockedAccountIs429BeforeAnyCheck() {
    f.auth.passwordCheckLimit(2);
    try {
      JsonObject owner = f.userWithToken("guessed_owner");
      assertProblem(change(owner, "guess number one", "a brand new passphrase"), 403, "invalid_current_password");
      assertProblem(change(owner, "guess number two", "a brand new passphrase"), 403, "invalid_current_password");
      HttpResponse<Buffer> locked = change(owner, "correct horse guessed_owner", "a brand new passphrase");
      assertCompleteProblem(locked, 429, "too_many_attempts");
      assertThat(locked.getHeader("Retry-After")).isEqualTo("42");
      // two reserved and failed, the third refused at its reservation: no bcrypt, no report
      assertThat(stepsOf(owner)).containsExactly(Step.RESERVE, Step.FAILED, Step.RESERVE, Step.FAILED, Step.RESERVE);
      assertThat(f.userRow(owner.getJsonObject("user").getString("id")).get("password_version")).isEqualTo(1L);
    } finally {
      f.auth.passwordCheckLimit(Integer.MAX_VALUE);
    }
  }

  @Test
  void theRightCurrentPasswordIsReportedAsASuccess() {
    JsonObject owner = f.userWithToken("right_owner");
    HttpResponse<Buffer> changed = change(owner, "correct horse right_owner", "a brand new passphrase");
    assertThat(changed.statusCode()).as(changed.bodyAsString()).isEqualTo(204);
    assertThat(stepsOf(owner)).containsExactly(Step.RESERVE, Step.SUCCEEDED);
  }

  @Test
  void anAdminSettingAPasswordWithoutTheCurrentOneIsNotCounted() {
    JsonObject user = f.register("admin_sets", "admin.sets@example.com", "the old passphrase");
    HttpResponse<Buffer> set = f.send(HttpMethod.POST, "/users/" + user.getString("id") + "/change-password",
      new JsonObject().put("newPassword", "a brand new passphrase"), UserServiceFixture.key());
    assertThat(set.statusCode()).as(set.bodyAsString()).isEqualTo(204);
    assertThat(f.auth.passwordChecks().stream().filter(c -> c.userId().equals(user.getString("id")))).isEmpty();
  }

  @Test
  void whenTheAuthServiceCannotCountTheCheckTheChangeIs503AndNothingChanges() {
    JsonObject owner = f.userWithToken("unreachable_owner");
    await(f.auth.stopPasswordChecks());
    try {
      HttpResponse<Buffer> response = change(owner, "correct horse unreachable_owner", "a brand new passphrase");
      assertCompleteProblem(response, 503, "auth_service_unavailable");
      assertThat(response.getHeader("Retry-After")).isNotBlank();
      assertThat(f.userRow(owner.getJsonObject("user").getString("id")).get("password_version")).isEqualTo(1L);
    } finally {
      await(f.auth.startPasswordChecks());
    }
  }
}
