package io.latchkey.user;

import io.latchkey.common.bus.UserNotice;
import io.latchkey.user.testing.FakeAuthService.Received;
import io.latchkey.user.testing.TestMailServer.Mail;
import io.latchkey.user.testing.UserServiceFixture;
import io.latchkey.user.testing.UserServiceTest;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.latchkey.common.testing.Await.await;
import static io.latchkey.user.testing.Problems.assertProblem;
import static io.latchkey.user.testing.UserServiceFixture.bearer;
import static io.latchkey.user.testing.UserServiceFixture.key;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Verification, email change, reset and disable, end to end through the mails a real SMTP
 * server (GreenMail, in this JVM) received.
 */
@UserServiceTest
class AccountLifecycleTest {

  private static final String VERIFY = "Confirm your email address";
  private static final String RESET = "Reset your password";
  private static final String CHANGED = "The email address of your account was changed";

  private final UserServiceFixture f;

  AccountLifecycleTest(UserServiceFixture f) {
    this.f = f;
  }

  private HttpResponse<Buffer> post(String path, JsonObject body, Map<String, String> headers) {
    return f.send(HttpMethod.POST, path, body, headers);
  }

  private HttpResponse<Buffer> verifyEmail(String token) {
    return post("/users/verify-email", new JsonObject().put("token", token), Map.of());
  }

  private HttpResponse<Buffer> confirm(String token, String newPassword) {
    return post("/users/password-reset/confirm", new JsonObject().put("token", token).put("newPassword", newPassword), Map.of());
  }

  private HttpResponse<Buffer> requestReset(String email) {
    return post("/users/password-reset", new JsonObject().put("email", email), Map.of());
  }

  private int credentialsStatus(String login, String password) {
    return post("/users/verify-credentials", new JsonObject().put("login", login).put("password", password), key()).statusCode();
  }

  private List<UserNotice> notices(String userId, UserNotice.Type type) {
    return f.auth.received().stream().map(Received::notice)
      .filter(n -> n.userId().equals(userId) && n.type() == type).toList();
  }

  // ---- verification

  @Test
  void registrationMailsAVerificationLinkThatVerifiesTheAddressOnce() {
    JsonObject user = f.register("vic_verify", "Vic.Verify@example.com", "vic's long passphrase");
    assertThat(user.getBoolean("emailVerified")).isFalse();
    assertThat(user.getBoolean("disabled")).isFalse();
    assertThat(user.getJsonArray("mfa")).isEmpty();

    Mail mail = f.mail.latest("vic.verify@example.com", VERIFY);
    assertThat(mail.text()).contains("vic_verify").contains("24 hours");
    assertThat(mail.html()).contains("href=\"http://localhost:8082/account/verify-email#token=" + mail.token() + "\"");

    HttpResponse<Buffer> verified = verifyEmail(mail.token());
    assertThat(verified.statusCode()).isEqualTo(200);
    assertThat(verified.bodyAsJsonObject().getBoolean("emailVerified")).isTrue();
    assertThat(f.userRow(user.getString("id")).get("email_verified")).isEqualTo(true);
    // the auth service hears of it (a cached entry must not keep answering "unverified")
    assertThat(notices(user.getString("id"), UserNotice.Type.EMAIL_VERIFIED)).hasSize(1);

    // used: the same answer as an unknown token
    assertProblem(verifyEmail(mail.token()), 400, "invalid_verification_token");
    assertProblem(verifyEmail("A".repeat(43)), 400, "invalid_verification_token");
    assertProblem(verifyEmail("not a token"), 400, "invalid_verification_token");
    assertProblem(post("/users/verify-email", new JsonObject(), Map.of()), 400, "validation_failed");
    assertProblem(post("/users/verify-email", new JsonObject().put("token", mail.token()).put("userId", "x"), Map.of()),
      400, "validation_failed");
    // nothing to send any more
    assertProblem(post("/users/" + user.getString("id") + "/verify-email/send", null, key()), 409, "email_already_verified");
  }

  @Test
  void aNewVerificationMailRetiresTheOlderLinkAndSendsAreLimited() {
    JsonObject user = f.register("nia_resend", "nia.resend@example.com", "nia's long passphrase");
    String id = user.getString("id");
    String token = f.auth.issueToken(id, "nia_resend", "user");
    String first = f.mail.latest("nia.resend@example.com", VERIFY).token();

    HttpResponse<Buffer> sent = post("/users/" + id + "/verify-email/send", new JsonObject(), bearer(token));
    assertThat(sent.statusCode()).isEqualTo(202);
    List<Mail> mails = f.mail.await("nia.resend@example.com", VERIFY, 2, 10_000);
    String second = mails.get(1).token();
    assertThat(second).isNotEqualTo(first);

    assertProblem(verifyEmail(first), 400, "invalid_verification_token");
    // three sends an hour per user: two more pass, the next is 429 with Retry-After
    assertThat(post("/users/" + id + "/verify-email/send", null, bearer(token)).statusCode()).isEqualTo(202);
    assertThat(post("/users/" + id + "/verify-email/send", null, bearer(token)).statusCode()).isEqualTo(202);
    HttpResponse<Buffer> limited = post("/users/" + id + "/verify-email/send", null, bearer(token));
    assertProblem(limited, 429, "too_many_requests");
    assertThat(Integer.parseInt(limited.getHeader("Retry-After"))).isBetween(1, 3600);

    // another user's account: 403; a body with fields: 400
    JsonObject other = f.userWithToken("olga_resend");
    assertProblem(post("/users/" + id + "/verify-email/send", null, bearer(other.getString("token"))), 403, "forbidden");
    assertProblem(post("/users/" + id + "/verify-email/send", new JsonObject().put("email", "x@example.com"), key()),
      400, "validation_failed");
    assertProblem(post("/users/" + UUID.randomUUID() + "/verify-email/send", null, key()), 404, "user_not_found");

    List<Mail> all = f.mail.await("nia.resend@example.com", VERIFY, 4, 10_000);
    assertProblem(verifyEmail(second), 400, "invalid_verification_token");
    assertThat(verifyEmail(all.get(all.size() - 1).token()).statusCode()).isEqualTo(200);
  }

  // ---- email change

  @Test
  void yourOwnEmailChangeNeedsYourPasswordAndIsVerifiedAgain() {
    JsonObject user = f.register("ema_change", "ema.old@example.com", "ema's long passphrase");
    String id = user.getString("id");
    String token = f.auth.issueToken(id, "ema_change", "user");
    String oldLink = f.mail.latest("ema.old@example.com", VERIFY).token();
    assertThat(verifyEmail(oldLink).statusCode()).isEqualTo(200);
    // a reset link sent to the old address before the change
    requestReset("ema.old@example.com");
    String resetToOld = f.mail.latest("ema.old@example.com", RESET).token();

    JsonObject change = new JsonObject().put("email", "ema.new@example.com");
    assertProblem(f.send(HttpMethod.PUT, "/users/" + id, change, bearer(token)), 403, "invalid_current_password");
    assertProblem(f.send(HttpMethod.PUT, "/users/" + id, change.copy().put("currentPassword", "wrong one"), bearer(token)),
      403, "invalid_current_password");
    // the display name alone needs no password
    assertThat(f.send(HttpMethod.PUT, "/users/" + id, new JsonObject().put("displayName", "Ema"), bearer(token)).statusCode())
      .isEqualTo(200);
    // nor does the same address
    assertThat(f.send(HttpMethod.PUT, "/users/" + id, new JsonObject().put("email", "EMA.OLD@example.com"), bearer(token))
      .bodyAsJsonObject().getBoolean("emailVerified")).isTrue();

    HttpResponse<Buffer> changed = f.send(HttpMethod.PUT, "/users/" + id,
      change.copy().put("currentPassword", "ema's long passphrase"), bearer(token));
    assertThat(changed.statusCode()).isEqualTo(200);
    assertThat(changed.bodyAsJsonObject().getString("email")).isEqualTo("ema.new@example.com");
    assertThat(changed.bodyAsJsonObject().getBoolean("emailVerified")).isFalse();

    Mail notice = f.mail.latest("ema.old@example.com", CHANGED);
    assertThat(notice.text()).contains("ema_change").doesNotContain("token=");
    Mail verify = f.mail.latest("ema.new@example.com", VERIFY);
    // the reset link of the old address no longer works
    assertProblem(confirm(resetToOld, "ema's brand new passphrase"), 400, "invalid_reset_token");
    assertThat(verifyEmail(verify.token()).statusCode()).isEqualTo(200);

    // an admin (full key) needs no password, and the link to the previous address stops working
    HttpResponse<Buffer> byAdmin = f.send(HttpMethod.PUT, "/users/" + id, new JsonObject().put("email", "ema.third@example.com"), key());
    assertThat(byAdmin.statusCode()).isEqualTo(200);
    assertThat(byAdmin.bodyAsJsonObject().getBoolean("emailVerified")).isFalse();
    f.mail.latest("ema.third@example.com", VERIFY);
    f.mail.latest("ema.new@example.com", CHANGED);
  }

  @Test
  void aVerificationLinkForAnAddressTheUserNoLongerHasVerifiesNothing() {
    JsonObject user = f.register("ada_moved", "ada.first@example.com", "ada's long passphrase");
    String first = f.mail.latest("ada.first@example.com", VERIFY).token();
    assertThat(f.send(HttpMethod.PUT, "/users/" + user.getString("id"), new JsonObject().put("email", "ada.second@example.com"), key())
      .statusCode()).isEqualTo(200);
    assertProblem(verifyEmail(first), 400, "invalid_verification_token");
    assertThat(f.userRow(user.getString("id")).get("email_verified")).isEqualTo(false);
  }

  // ---- password reset

  @Test
  void aResetEndsEverySessionAndTheOldPassword() {
    JsonObject user = f.register("rea_reset", "rea.reset@example.com", "rea's old passphrase");
    String id = user.getString("id");
    long versionBefore = (Long) f.userRow(id).get("password_version");

    HttpResponse<Buffer> accepted = requestReset("REA.Reset@example.com");
    assertThat(accepted.statusCode()).isEqualTo(202);
    Mail mail = f.mail.latest("rea.reset@example.com", RESET);
    assertThat(mail.text()).contains("30 minutes");
    assertThat(mail.html()).contains("http://localhost:8082/account/reset-password#token=" + mail.token());

    assertProblem(confirm(mail.token(), "password"), 400, "weak_password");
    assertThat(confirm(mail.token(), "rea's new passphrase").statusCode()).isEqualTo(204);

    Map<String, Object> row = f.userRow(id);
    assertThat((Long) row.get("password_version")).isEqualTo(versionBefore + 1);
    // the link reached the address: it is verified by it
    assertThat(row.get("email_verified")).isEqualTo(true);
    List<UserNotice> resets = notices(id, UserNotice.Type.PASSWORD_RESET);
    assertThat(resets).hasSize(1);
    assertThat(resets.get(0).passwordVersion()).isEqualTo(versionBefore + 1);
    assertThat(resets.get(0).keepSessionId()).isNull();

    assertThat(credentialsStatus("rea_reset", "rea's old passphrase")).isEqualTo(401);
    assertThat(credentialsStatus("rea_reset", "rea's new passphrase")).isEqualTo(200);
    // single use
    assertProblem(confirm(mail.token(), "rea's third passphrase"), 400, "invalid_reset_token");
  }

  @Test
  void resetTokensAreRetiredByANewerOneByAPasswordChangeAndByTime() {
    JsonObject user = f.register("tom_tokens", "tom.tokens@example.com", "tom's old passphrase");
    String id = user.getString("id");
    requestReset("tom.tokens@example.com");
    String first = f.mail.latest("tom.tokens@example.com", RESET).token();
    requestReset("tom.tokens@example.com");
    String second = f.mail.await("tom.tokens@example.com", RESET, 2, 10_000).get(1).token();
    assertProblem(confirm(first, "tom's new passphrase"), 400, "invalid_reset_token");

    // a password change retires the outstanding link
    assertThat(f.send(HttpMethod.POST, "/users/" + id + "/change-password",
      new JsonObject().put("newPassword", "tom's changed passphrase"), key()).statusCode()).isEqualTo(204);
    assertProblem(confirm(second, "tom's new passphrase"), 400, "invalid_reset_token");

    // expired: the same answer
    requestReset("tom.tokens@example.com");
    String third = f.mail.await("tom.tokens@example.com", RESET, 3, 10_000).get(2).token();
    f.rows("UPDATE users.mail_tokens SET expires_at = now() - interval '1 second' WHERE user_id = ?::uuid AND used_at IS NULL"
      + " AND retired_at IS NULL RETURNING 1", id);
    assertProblem(confirm(third, "tom's new passphrase"), 400, "invalid_reset_token");
    assertThat(credentialsStatus("tom_tokens", "tom's changed passphrase")).isEqualTo(200);

  }

  @Test
  void aResetTokenIsNoVerificationTokenNorTheOtherWayRound() {
    f.register("tim_kinds", "tim.kinds@example.com", "tim's old passphrase");
    requestReset("tim.kinds@example.com");
    String reset = f.mail.latest("tim.kinds@example.com", RESET).token();
    String verification = f.mail.latest("tim.kinds@example.com", VERIFY).token();
    assertProblem(verifyEmail(reset), 400, "invalid_verification_token");
    assertProblem(confirm(verification, "tim's new passphrase"), 400, "invalid_reset_token");
    assertThat(confirm(reset, "tim's new passphrase").statusCode()).isEqualTo(204);
    assertThat(verifyEmail(verification).statusCode()).as("the reset verified the address already; the token still works once")
      .isEqualTo(200);
  }

  @Test
  void aResetRequestAnswersTheSameForAKnownAndAnUnknownAddress() {
    f.register("kai_known", "kai.known@example.com", "kai's long passphrase");
    HttpResponse<Buffer> known = requestReset("kai.known@example.com");
    HttpResponse<Buffer> unknown = requestReset("nobody.here@example.com");
    assertThat(known.statusCode()).isEqualTo(202);
    assertThat(unknown.statusCode()).isEqualTo(202);
    assertThat(known.bodyAsString()).isEqualTo(unknown.bodyAsString());
    assertThat(comparableHeaders(known)).isEqualTo(comparableHeaders(unknown));

    f.mail.latest("kai.known@example.com", RESET);
    // the unknown address's request is closed without a mail
    f.rows("SELECT 1");
    long deadline = System.currentTimeMillis() + 5000;
    while (f.rows("SELECT 1 FROM users.mail_outbox WHERE recipient = 'nobody.here@example.com' AND outcome = 'no_account'").isEmpty()) {
      assertThat(System.currentTimeMillis()).as("the unknown address's request is closed").isLessThan(deadline);
      pause(25);
    }
    assertThat(f.mail.to("nobody.here@example.com")).isEmpty();
    assertProblem(requestReset("not an address"), 400, "validation_failed");
    assertProblem(post("/users/password-reset", new JsonObject().put("email", "kai.known@example.com").put("login", "x"), Map.of()),
      400, "validation_failed");
  }

  @Test
  void overTheLimitPerAddressTheAnswerStaysTheSameAndNoMailIsSent() {
    f.register("lim_limited", "lim.limited@example.com", "lim's long passphrase");
    HttpResponse<Buffer> first = requestReset("lim.limited@example.com");
    for (int i = 0; i < 4; i++) {
      HttpResponse<Buffer> again = requestReset("lim.limited@example.com");
      assertThat(again.statusCode()).isEqualTo(202);
      assertThat(again.bodyAsString()).isEqualTo(first.bodyAsString());
      assertThat(comparableHeaders(again)).isEqualTo(comparableHeaders(first));
    }
    f.mail.await("lim.limited@example.com", RESET, 3, 10_000);
    // bounded wait: nothing more arrives
    pause(800);
    assertThat(f.mail.to("lim.limited@example.com").stream().filter(m -> m.subject().equals(RESET))).hasSize(3);
  }

  // ---- disable and enable

  @Test
  void anAdminDisablesAndEnablesAndTheAuthServiceHearsOfBoth() {
    JsonObject user = f.register("dan_disable", "dan.disable@example.com", "dan's long passphrase");
    String id = user.getString("id");
    String own = f.auth.issueToken(id, "dan_disable", "user");
    assertProblem(post("/users/" + id + "/disable", null, bearer(own)), 403, "forbidden");
    assertProblem(post("/users/" + UUID.randomUUID() + "/disable", null, key()), 404, "user_not_found");
    assertProblem(post("/users/" + id + "/disable", new JsonObject().put("reason", "x"), key()), 400, "validation_failed");

    HttpResponse<Buffer> disabled = post("/users/" + id + "/disable", new JsonObject(), key());
    assertThat(disabled.statusCode()).isEqualTo(200);
    assertThat(disabled.bodyAsJsonObject().getBoolean("disabled")).isTrue();
    assertThat(notices(id, UserNotice.Type.USER_DISABLED)).hasSize(1);
    // again: nothing changes, no second notice
    assertThat(post("/users/" + id + "/disable", null, key()).bodyAsJsonObject().getBoolean("disabled")).isTrue();
    assertThat(notices(id, UserNotice.Type.USER_DISABLED)).hasSize(1);

    // a disabled account gets no reset mail (the answer is the same)
    assertThat(requestReset("dan.disable@example.com").statusCode()).isEqualTo(202);
    pause(800);
    assertThat(f.mail.to("dan.disable@example.com").stream().filter(m -> m.subject().equals(RESET))).isEmpty();

    String admin = f.auth.issueToken(UUID.randomUUID().toString(), "some_admin", "user", "admin");
    HttpResponse<Buffer> enabled = post("/users/" + id + "/enable", null, bearer(admin));
    assertThat(enabled.statusCode()).isEqualTo(200);
    assertThat(enabled.bodyAsJsonObject().getBoolean("disabled")).isFalse();
    assertThat(notices(id, UserNotice.Type.USER_ENABLED)).hasSize(1);
  }

  // ---- the mail outbox

  @Test
  void aMailWaitsWhileTheServerIsDownAndArrivesOnceItIsBack() {
    f.register("sam_smtp", "sam.smtp@example.com", "sam's long passphrase");
    f.mail.latest("sam.smtp@example.com", VERIFY);
    f.mail.down();
    try {
      assertThat(requestReset("sam.smtp@example.com").statusCode()).isEqualTo(202);
      long deadline = System.currentTimeMillis() + 10_000;
      while (f.rows("SELECT 1 FROM users.mail_outbox WHERE recipient = 'sam.smtp@example.com' AND kind = 'password_reset'"
        + " AND attempts >= 2 AND done_at IS NULL AND last_error IS NOT NULL").isEmpty()) {
        assertThat(System.currentTimeMillis()).as("the mail was tried while the server was down").isLessThan(deadline);
        pause(25);
      }
    } finally {
      f.mail.up();
    }
    Mail mail = f.mail.latest("sam.smtp@example.com", RESET);
    pause(800);
    assertThat(f.mail.to("sam.smtp@example.com").stream().filter(m -> m.subject().equals(RESET))).hasSize(1);
    assertThat(confirm(mail.token(), "sam's new passphrase").statusCode()).isEqualTo(204);
  }

  @Test
  void noTokenIsStoredInTheClearAndASentMailForgetsItsToken() {
    JsonObject user = f.register("tia_store", "tia.store@example.com", "tia's long passphrase");
    String token = f.mail.latest("tia.store@example.com", VERIFY).token();
    long deadline = System.currentTimeMillis() + 5000;
    List<Map<String, Object>> mails;
    while ((mails = f.rows("SELECT sealed_token, outcome FROM users.mail_outbox WHERE user_id = ?::uuid", user.getString("id")))
      .stream().anyMatch(m -> m.get("outcome") == null)) {
      assertThat(System.currentTimeMillis()).isLessThan(deadline);
      pause(25);
    }
    assertThat(mails).allSatisfy(m -> assertThat(m.get("sealed_token")).isNull());
    assertThat(f.rows("SELECT 1 FROM users.mail_tokens WHERE encode(token_hash, 'escape') LIKE ?", "%" + token + "%")).isEmpty();
    assertThat(f.rows("SELECT 1 FROM users.mail_tokens WHERE token_hash = sha256(convert_to(?, 'UTF8'))", token)).hasSize(1);
  }

  // ---- helpers

  /** The headers that must not differ between two answers (all but Date, X-Request-Id and Content-Length). */
  private static Map<String, String> comparableHeaders(HttpResponse<Buffer> response) {
    Map<String, String> headers = new java.util.TreeMap<>();
    response.headers().forEach(h -> {
      String name = h.getKey().toLowerCase(java.util.Locale.ROOT);
      if (!name.equals("date") && !name.equals("x-request-id") && !name.equals("content-length")) {
        headers.merge(name, h.getValue(), (a, b) -> a + "," + b);
      }
    });
    return headers;
  }

  /** A bounded wait on a Vert.x timer (polling between checks, or the bounded wait of "nothing more happens"). */
  private void pause(long ms) {
    await(f.vertx.timer(ms));
  }
}
