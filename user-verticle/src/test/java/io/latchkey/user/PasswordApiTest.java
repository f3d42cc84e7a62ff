package io.latchkey.user;

import io.latchkey.user.testing.UserServiceFixture;
import io.latchkey.user.testing.UserServiceTest;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.latchkey.user.testing.Problems.assertProblem;
import static io.latchkey.user.testing.UserServiceFixture.VALIDATE_KEY;
import static io.latchkey.user.testing.UserServiceFixture.bearer;
import static io.latchkey.user.testing.UserServiceFixture.key;
import static org.assertj.core.api.Assertions.assertThat;

/** verify-credentials, change-password, password-hash and password-changed. */
@UserServiceTest
class PasswordApiTest {

  private final UserServiceFixture f;

  PasswordApiTest(UserServiceFixture f) {
    this.f = f;
  }

  private HttpResponse<Buffer> verify(String login, String password) {
    return f.send(HttpMethod.POST, "/users/verify-credentials", new JsonObject().put("login", login).put("password", password), key());
  }

  // ---- verify-credentials

  @Test
  void credentialsAreVerifiedByUsernameOrEmailIgnoringCase() {
    JsonObject user = f.register("Vera_Cred", "Vera.Cred@example.com", "vera's long passphrase");

    for (String login : List.of("Vera_Cred", "vera_cred", "VERA.CRED@EXAMPLE.COM", "vera.cred@example.com")) {
      HttpResponse<Buffer> ok = verify(login, "vera's long passphrase");
      assertThat(ok.statusCode()).as(login).isEqualTo(200);
      assertThat(ok.bodyAsJsonObject().getBoolean("valid")).isTrue();
      assertThat(ok.bodyAsJsonObject().getJsonObject("user")).isEqualTo(user);
      assertThat(ok.bodyAsString()).doesNotContain("$2a$");
    }
  }

  @Test
  void wrongPasswordAndUnknownLoginGiveTheSameAnswer() {
    f.register("wes_cred", "wes@example.com", "wes's long passphrase");
    HttpResponse<Buffer> wrong = verify("wes_cred", "not the passphrase");
    HttpResponse<Buffer> unknown = verify("nobody_at_all", "not the passphrase");
    assertProblem(wrong, 401, "invalid_credentials");
    assertProblem(unknown, 401, "invalid_credentials");
    assertThat(wrong.bodyAsJsonObject().getString("detail")).isEqualTo(unknown.bodyAsJsonObject().getString("detail"));
    assertProblem(verify("wes_cred", "€".repeat(30)), 401, "invalid_credentials");
  }

  @Test
  void verifyCredentialsNeedsAFullKeyAndAWellFormedBody() {
    JsonObject body = new JsonObject().put("login", "x").put("password", "y");
    assertProblem(f.send(HttpMethod.POST, "/users/verify-credentials", body, Map.of()), 401, "invalid_api_key");
    assertProblem(f.send(HttpMethod.POST, "/users/verify-credentials", body, Map.of("X-API-Key", VALIDATE_KEY)), 401, "invalid_api_key");
    assertProblem(f.send(HttpMethod.POST, "/users/verify-credentials", body, Map.of("X-API-Key", "nope")), 401, "invalid_api_key");
    assertProblem(f.send(HttpMethod.POST, "/users/verify-credentials", new JsonObject().put("login", "x"), key()), 400, "validation_failed");
    assertProblem(f.send(HttpMethod.POST, "/users/verify-credentials", body.copy().put("extra", 1), key()), 400, "validation_failed");
    assertProblem(f.send(HttpMethod.POST, "/users/verify-credentials", body.copy().put("password", 5), key()), 400, "malformed_request");
    assertProblem(f.sendRaw(HttpMethod.POST, "/users/verify-credentials", "[]", key()), 400, "malformed_request");
  }

  @Test
  void aPasswordRegisteredInOneUnicodeFormVerifiesInItsNfkcEquivalent() {
    f.register("uni_cred", "uni@example.com", "ｆｕｌｌｗｉｄｔｈ ｐａｓｓ ７");
    assertThat(verify("uni_cred", "fullwidth pass 7").statusCode()).isEqualTo(200);
    assertThat(verify("uni_cred", "ｆｕｌｌｗｉｄｔｈ ｐａｓｓ ７").statusCode()).isEqualTo(200);
  }

  @Test
  void registrationRefusesAPasswordOverSeventyTwoBytesWithoutTruncating() {
    String euro25 = "€".repeat(25);
    HttpResponse<Buffer> response = f.send(HttpMethod.POST, "/users",
      new JsonObject().put("username", "euro_user").put("email", "euro@example.com").put("password", euro25), Map.of());
    assertProblem(response, 400, "weak_password");
    assertThat(response.bodyAsJsonObject().getJsonArray("errors").getJsonObject(0).getString("field")).isEqualTo("password");
    // 72 bytes are fine, and the full 72 bytes count: a 71-byte prefix does not verify
    f.register("euro_ok", "euro.ok@example.com", "€".repeat(24));
    assertThat(verify("euro_ok", "€".repeat(24)).statusCode()).isEqualTo(200);
    assertProblem(verify("euro_ok", "€".repeat(23) + "xx"), 401, "invalid_credentials");
    assertProblem(verify("euro_ok", "€".repeat(24) + "x"), 401, "invalid_credentials");
  }

  // ---- change-password

  @Test
  void usersChangeTheirOwnPasswordWithTheCurrentOneKeepingTheirSession() {
    JsonObject owner = f.userWithToken("pat_change");
    String id = owner.getJsonObject("user").getString("id");
    String token = owner.getString("token");
    String path = "/users/" + id + "/change-password";

    assertProblem(f.send(HttpMethod.POST, path, new JsonObject().put("newPassword", "a brand new passphrase"), bearer(token)),
      400, "validation_failed");
    assertProblem(f.send(HttpMethod.POST, path, new JsonObject().put("currentPassword", "wrong one").put("newPassword", "a brand new passphrase"),
      bearer(token)), 403, "invalid_current_password");
    assertProblem(f.send(HttpMethod.POST, path, new JsonObject().put("currentPassword", "correct horse pat_change").put("newPassword", "qwertyuiop"),
      bearer(token)), 400, "weak_password");
    assertThat(f.userRow(id).get("password_version")).isEqualTo(1L);

    HttpResponse<Buffer> changed = f.send(HttpMethod.POST, path,
      new JsonObject().put("currentPassword", "correct horse pat_change").put("newPassword", "a brand new passphrase"), bearer(token));
    assertThat(changed.statusCode()).as(changed.bodyAsString()).isEqualTo(204);
    assertThat(f.userRow(id).get("password_version")).isEqualTo(2L);
    assertThat(verify("pat_change", "a brand new passphrase").statusCode()).isEqualTo(200);
    assertProblem(verify("pat_change", "correct horse pat_change"), 401, "invalid_credentials");

    List<Map<String, Object>> notices = f.outboxRows(id);
    assertThat(notices).hasSize(1);
    assertThat(notices.get(0).get("type")).isEqualTo("password_changed");
    assertThat(notices.get(0).get("password_version")).isEqualTo(2L);
    assertThat(notices.get(0).get("keep_session_id")).isEqualTo(f.auth.sessionOf(token));
    assertThat(notices.get(0).get("delivered_at")).as("acknowledged before the answer").isNotNull();
  }

  @Test
  void adminsMayOmitTheCurrentPasswordForAnotherUserButNotForThemselves() {
    JsonObject target = f.userWithToken("quinn_change");
    JsonObject admin = f.userWithToken("root_change", "user", "admin");
    String targetId = target.getJsonObject("user").getString("id");
    String adminId = admin.getJsonObject("user").getString("id");

    HttpResponse<Buffer> byAdminToken = f.send(HttpMethod.POST, "/users/" + targetId + "/change-password",
      new JsonObject().put("newPassword", "set by the admin token"), bearer(admin.getString("token")));
    assertThat(byAdminToken.statusCode()).isEqualTo(204);
    HttpResponse<Buffer> byKey = f.send(HttpMethod.POST, "/users/" + targetId + "/change-password",
      new JsonObject().put("newPassword", "set by the internal key"), key());
    assertThat(byKey.statusCode()).isEqualTo(204);
    assertThat(f.userRow(targetId).get("password_version")).isEqualTo(3L);
    assertThat(f.outboxRows(targetId)).extracting(r -> r.get("password_version")).containsExactly(2L, 3L);
    assertThat(f.outboxRows(targetId)).extracting(r -> r.get("keep_session_id")).containsOnlyNulls();

    assertProblem(f.send(HttpMethod.POST, "/users/" + adminId + "/change-password",
      new JsonObject().put("newPassword", "admins need theirs"), bearer(admin.getString("token"))), 400, "validation_failed");
  }

  @Test
  void changePasswordRefusesOtherUsersUnknownIdsAndBadBodies() {
    JsonObject rae = f.userWithToken("rae_change");
    JsonObject sid = f.userWithToken("sid_change");
    String raePath = "/users/" + rae.getJsonObject("user").getString("id") + "/change-password";
    JsonObject body = new JsonObject().put("currentPassword", "correct horse sid_change").put("newPassword", "another passphrase");

    assertProblem(f.send(HttpMethod.POST, raePath, body, bearer(sid.getString("token"))), 403, "forbidden");
    assertProblem(f.send(HttpMethod.POST, "/users/" + UUID.randomUUID() + "/change-password", body, key()), 404, "user_not_found");
    assertProblem(f.send(HttpMethod.POST, raePath, body.copy().put("extra", true), bearer(rae.getString("token"))), 400, "validation_failed");
    assertProblem(f.send(HttpMethod.POST, raePath, body.copy().put("newPassword", 12345678), bearer(rae.getString("token"))), 400, "malformed_request");
    assertProblem(f.send(HttpMethod.POST, raePath, body, Map.of()), 401, "invalid_token");
  }

  // ---- password-hash and password-changed

  @Test
  void passwordHashIsForKeyHoldersOnly() {
    JsonObject tom = f.userWithToken("tom_hash");
    String id = tom.getJsonObject("user").getString("id");

    HttpResponse<Buffer> hash = f.send(HttpMethod.GET, "/users/" + id + "/password-hash", null, key());
    assertThat(hash.statusCode()).isEqualTo(200);
    JsonObject body = hash.bodyAsJsonObject();
    assertThat(body.fieldNames()).containsExactlyInAnyOrder("userId", "passwordHash", "passwordVersion", "updatedAt");
    assertThat(body.getString("userId")).isEqualTo(id);
    assertThat(body.getString("passwordHash")).isEqualTo(f.userRow(id).get("password_hash")).startsWith("$2a$");
    assertThat(body.getLong("passwordVersion")).isEqualTo(1L);

    assertProblem(f.send(HttpMethod.GET, "/users/" + id + "/password-hash", null, bearer(tom.getString("token"))), 401, "invalid_api_key");
    assertProblem(f.send(HttpMethod.GET, "/users/" + UUID.randomUUID() + "/password-hash", null, key()), 404, "user_not_found");
    assertProblem(f.send(HttpMethod.GET, "/users/zzz/password-hash", null, key()), 404, "user_not_found");
  }

  @Test
  void passwordChangedSendsTheNoticeAgain(Vertx node) {
    JsonObject uma = f.userWithToken("uma_resend");
    String id = uma.getJsonObject("user").getString("id");

    HttpResponse<Buffer> accepted = f.send(HttpMethod.POST, "/users/" + id + "/password-changed", null, key());
    assertThat(accepted.statusCode()).isEqualTo(202);
    long eventId = accepted.bodyAsJsonObject().getLong("eventId");
    List<Map<String, Object>> rows = f.outboxRows(id);
    assertThat(rows).hasSize(1);
    assertThat(rows.get(0).get("id")).isEqualTo(eventId);
    assertThat(rows.get(0).get("type")).isEqualTo("password_changed");
    assertThat(rows.get(0).get("password_version")).isEqualTo(1L);
    assertThat(io.latchkey.common.testing.Await.until(node, () -> io.vertx.core.Future.succeededFuture(f.auth.applied().containsKey(eventId)), 5000))
      .as("the fake auth service received notice " + eventId).isTrue();

    // after an own password change, sending the notice again keeps the session that change kept
    String token = uma.getString("token");
    assertThat(f.send(HttpMethod.POST, "/users/" + id + "/change-password", new JsonObject()
      .put("currentPassword", "correct horse uma_resend").put("newPassword", "a brand new passphrase"), bearer(token)).statusCode())
      .isEqualTo(204);
    HttpResponse<Buffer> again = f.send(HttpMethod.POST, "/users/" + id + "/password-changed", null, key());
    assertThat(again.statusCode()).isEqualTo(202);
    Map<String, Object> resent = f.outboxRows(id).stream()
      .filter(r -> r.get("id").equals(again.bodyAsJsonObject().getLong("eventId"))).findFirst().orElseThrow();
    assertThat(resent.get("password_version")).isEqualTo(2L);
    assertThat(resent.get("keep_session_id")).isEqualTo(f.auth.sessionOf(token));

    assertProblem(f.send(HttpMethod.POST, "/users/" + id + "/password-changed", null, bearer(uma.getString("token"))), 401, "invalid_api_key");
    assertProblem(f.send(HttpMethod.POST, "/users/" + UUID.randomUUID() + "/password-changed", null, key()), 404, "user_not_found");
  }
}
