package io.latchkey.auth.login;

import io.latchkey.auth.testing.AuthFixture;
import io.latchkey.auth.testing.AuthTest;
import io.latchkey.auth.testing.FakeUserService.SecondFactor;
import io.latchkey.common.BusAddresses;
import io.latchkey.common.BusClient;
import io.latchkey.common.bus.Credentials;
import io.latchkey.common.bus.UserNotice;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static io.latchkey.auth.testing.Problems.assertProblem;
import static io.latchkey.common.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The two-step login on two nodes, against the fake user service's USER_MFA_CHECK (real TOTP,
 * codes computed here with java-otp): the challenge, the second step and its limits, amr in every
 * token answer, the account lockout, what syncs do to challenges and sessions, and the outage
 * rule. Every call comes from a client IP of its own (127.0.0.1 is a trusted proxy), so only the
 * account counters are shared between calls; the account locks after 6 failures.
 */
@Timeout(120)
@AuthTest(nodes = 2, settings = {"TRUSTED_PROXIES=127.0.0.1", "LOGIN_ACCOUNT_MAX_FAILURES=6"})
class MfaLoginTest {

  private static final String PASSWORD = "a long enough password";
  private static final List<String> MFA_AMR = List.of("pwd", "otp", "mfa");
  private static final AtomicInteger nextIp = new AtomicInteger(1);
  private static final AtomicLong nextEventId = new AtomicLong(System.currentTimeMillis() * 1000);

  private final AuthFixture auth;

  MfaLoginTest(AuthFixture auth) {
    this.auth = auth;
  }

  // ---- helpers

  private static String nextIp() {
    int n = nextIp.getAndIncrement();
    return "198.51." + (n / 250) + "." + (n % 250 + 1);
  }

  private HttpResponse<Buffer> login(int node, String login, String password) {
    return auth.loginFrom(node, nextIp(), login, password);
  }

  /** Step one with the right password: the challenge's token. */
  private String challenge(int node, Credentials user) {
    HttpResponse<Buffer> response = login(node, user.username(), PASSWORD);
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    JsonObject body = response.bodyAsJsonObject();
    assertThat(body.getBoolean("mfaRequired")).as(body.encode()).isTrue();
    return body.getString("mfaToken");
  }

  private HttpResponse<Buffer> finish(int node, JsonObject body) {
    return auth.postJson(node, "/auth/login/mfa", body, "X-Forwarded-For", nextIp());
  }

  private HttpResponse<Buffer> withCode(int node, String token, String code) {
    return finish(node, new JsonObject().put("mfaToken", token).put("code", code));
  }

  private HttpResponse<Buffer> withRecoveryCode(int node, String token, String code) {
    return finish(node, new JsonObject().put("mfaToken", token).put("recoveryCode", code));
  }

  private Credentials mfaUser(String prefix) {
    Credentials user = auth.users.addUnique(prefix, PASSWORD);
    auth.users.enableTotp(user.userId());
    return auth.users.get(user.userId());
  }

  private SecondFactor factorOf(Credentials user) {
    return auth.users.factor(user.userId());
  }

  /** A code of the user's authenticator that no earlier call of this user used (a step is accepted once). */
  private String wrongCode(SecondFactor factor) {
    String right = factor.code();
    String wrong = right.equals("000000") ? "111111" : "000000";
    // also unequal to the neighbouring steps, which drift allows
    return wrong.equals(factor.code(-1)) || wrong.equals(factor.code(1)) ? "999999".equals(right) ? "123456" : "999999" : wrong;
  }

  private static JsonObject payload(String accessToken) {
    String part = accessToken.split("\\.")[1];
    return new JsonObject(new String(Base64.getUrlDecoder().decode(part), StandardCharsets.UTF_8));
  }

  private void notice(UserNotice notice) {
    BusClient bus = new BusClient(auth.nodes.get(0).eventBus(), auth.keys, 5000, "auth_service_unavailable", "auth service");
    assertThat(await(bus.request(BusAddresses.AUTH_SYNC, notice.toJson(), "rid-" + notice.eventId())))
      .isEqualTo(new JsonObject().put("applied", true));
  }

  private static UserNotice noticeOf(UserNotice.Type type, Credentials after, String keepSessionId) {
    Long version = type == UserNotice.Type.PASSWORD_CHANGED ? after.passwordVersion() : null;
    return new UserNotice(nextEventId.incrementAndGet(), type, after.userId(), version, keepSessionId, after.updatedAt());
  }

  private int openChallenges(String userId) {
    return auth.query("SELECT count(*)::int AS n FROM auth.mfa_challenges WHERE user_id = $1::uuid AND used_at IS NULL",
      rows -> rows.iterator().next().getInteger("n"), userId);
  }

  private double logins(int node, String outcome) {
    return auth.metrics(node).get("latchkey.logins").tag("outcome", outcome).counter().count();
  }

  // ---- the whole flow

  @Test
  void aPasswordThenACodeGiveATokenPairWhoseAmrShowsTheFactorEverywhere() {
    Credentials user = mfaUser("mira");
    double required = logins(0, "mfa_required");

    HttpResponse<Buffer> first = login(0, user.username(), PASSWORD);

    assertThat(first.statusCode()).isEqualTo(200);
    JsonObject challenge = first.bodyAsJsonObject();
    assertThat(challenge.fieldNames()).containsExactlyInAnyOrder("mfaRequired", "mfaToken", "methods", "expiresIn");
    assertThat(challenge.getBoolean("mfaRequired")).isTrue();
    assertThat(challenge.getJsonArray("methods")).containsExactly("totp", "recovery_code");
    assertThat(challenge.getLong("expiresIn")).isEqualTo(300);
    assertThat(challenge.getString("mfaToken")).matches("[A-Za-z0-9_-]{43}");
    assertThat(logins(0, "mfa_required")).isEqualTo(required + 1);
    assertThat(auth.sessionIds(user.userId())).as("no session after the first step").isEmpty();
    assertThat(auth.<Integer>query("SELECT count(*)::int AS n FROM auth.mfa_challenges WHERE token_hash = sha256(convert_to($1, 'UTF8'))",
      rows -> rows.iterator().next().getInteger("n"), challenge.getString("mfaToken")))
      .as("stored by its hash only").isEqualTo(1);

    // the second step on the other node
    HttpResponse<Buffer> second = withCode(1, challenge.getString("mfaToken"), factorOf(user).code());

    assertThat(second.statusCode()).as(second.bodyAsString()).isEqualTo(200);
    JsonObject pair = second.bodyAsJsonObject();
    assertThat(pair.getString("refreshToken")).isNotBlank();
    String access = pair.getString("accessToken");
    assertThat(payload(access).getJsonArray("amr")).containsExactlyElementsOf(MFA_AMR);
    for (int node = 0; node < 2; node++) {
      JsonObject validated = auth.validation(node, access);
      assertThat(validated.getBoolean("valid")).isTrue();
      assertThat(validated.getJsonArray("amr")).containsExactlyElementsOf(MFA_AMR);
      JsonObject introspected = auth.postWithKey(node, "/auth/introspect", new JsonObject().put("token", access)).bodyAsJsonObject();
      assertThat(introspected.getBoolean("active")).isTrue();
      assertThat(introspected.getJsonArray("amr")).containsExactlyElementsOf(MFA_AMR);
    }
    BusClient bus = new BusClient(auth.nodes.get(1).eventBus(), auth.keys, 5000, "auth_service_unavailable", "auth service");
    assertThat(await(bus.request(BusAddresses.AUTH_VALIDATE, new JsonObject().put("token", access), "rid-validate"))
      .getJsonArray("amr")).as("the AUTH_VALIDATE bus answer").containsExactlyElementsOf(MFA_AMR);
    HttpResponse<Buffer> refreshed = auth.refresh(0, pair.getString("refreshToken"));
    assertThat(refreshed.statusCode()).isEqualTo(200);
    assertThat(payload(refreshed.bodyAsJsonObject().getString("accessToken")).getJsonArray("amr"))
      .as("a refresh keeps the session's amr").containsExactlyElementsOf(MFA_AMR);
    JsonArray listed = auth.bearer(0, HttpMethod.GET, "/auth/sessions", access).bodyAsJsonObject().getJsonArray("items");
    assertThat(listed.getJsonObject(0).getJsonArray("amr")).containsExactlyElementsOf(MFA_AMR);
    assertThat(auth.<String>query("SELECT reason FROM auth.audit_events WHERE type = 'login.succeeded' AND session_id = $1",
      rows -> rows.iterator().next().getString("reason"), pair.getString("sessionId"))).isEqualTo("mfa_totp");
  }

  @Test
  void aPasswordOnlyLoginStaysOneStepWithAmrPwd() {
    Credentials user = auth.users.addUnique("pia", PASSWORD);

    HttpResponse<Buffer> response = login(0, user.username(), PASSWORD);

    assertThat(response.statusCode()).isEqualTo(200);
    JsonObject pair = response.bodyAsJsonObject();
    assertThat(pair.containsKey("mfaRequired")).isFalse();
    assertThat(payload(pair.getString("accessToken")).getJsonArray("amr")).containsExactly("pwd");
    assertThat(auth.validation(1, pair.getString("accessToken")).getJsonArray("amr")).containsExactly("pwd");
    HttpResponse<Buffer> refreshed = auth.refresh(1, pair.getString("refreshToken"));
    assertThat(payload(refreshed.bodyAsJsonObject().getString("accessToken")).getJsonArray("amr")).containsExactly("pwd");
  }

  @Test
  void aRecoveryCodeFinishesALoginOnceAndIsAuditedAsSuch() {
    Credentials user = mfaUser("rudi");
    String code = factorOf(user).recoveryCode(3);

    HttpResponse<Buffer> first = withRecoveryCode(0, challenge(0, user), code);
    HttpResponse<Buffer> again = withRecoveryCode(1, challenge(1, user), code);

    assertThat(first.statusCode()).as(first.bodyAsString()).isEqualTo(200);
    assertThat(payload(first.bodyAsJsonObject().getString("accessToken")).getJsonArray("amr")).containsExactlyElementsOf(MFA_AMR);
    assertThat(auth.<String>query("SELECT reason FROM auth.audit_events WHERE type = 'login.succeeded' AND session_id = $1",
      rows -> rows.iterator().next().getString("reason"), first.bodyAsJsonObject().getString("sessionId")))
      .isEqualTo("mfa_recovery_code");
    assertProblem(again, 401, "invalid_mfa_code");
    assertThat(auth.<Integer>query("SELECT count(*)::int AS n FROM auth.audit_events WHERE type = 'mfa.failed' AND user_id = $1::uuid"
      + " AND reason = 'recovery_code'", rows -> rows.iterator().next().getInteger("n"), user.userId())).isEqualTo(1);
  }

  // ---- the token's limits

  @Test
  void twoRacingFinishesWithValidCodesGiveOneTokenPair() {
    Credentials user = mfaUser("rita");
    String token = challenge(0, user);
    SecondFactor factor = factorOf(user);

    List<Future<HttpResponse<Buffer>>> racing = new ArrayList<>();
    racing.add(auth.request(0, HttpMethod.POST, "/auth/login/mfa").putHeader("X-Forwarded-For", nextIp())
      .sendJsonObject(new JsonObject().put("mfaToken", token).put("code", factor.code())));
    racing.add(auth.request(1, HttpMethod.POST, "/auth/login/mfa").putHeader("X-Forwarded-For", nextIp())
      .sendJsonObject(new JsonObject().put("mfaToken", token).put("recoveryCode", factor.recoveryCode(0))));
    await(Future.join(racing));

    List<Integer> statuses = racing.stream().map(f -> f.result().statusCode()).sorted().toList();
    assertThat(statuses).containsExactly(200, 401);
    HttpResponse<Buffer> loser = racing.stream().map(Future::result).filter(r -> r.statusCode() == 401).findFirst().orElseThrow();
    assertProblem(loser, 401, "invalid_mfa_token");
    assertThat(auth.liveSessionIds(user.userId())).hasSize(1);
    assertProblem(withRecoveryCode(0, token, factor.recoveryCode(1)), 401, "invalid_mfa_token");
  }

  @Test
  void aTokenDiesAfterFiveWrongCodesEvenForTheRightOne() {
    Credentials user = mfaUser("wanda");
    String token = challenge(0, user);
    SecondFactor factor = factorOf(user);
    int checksBefore = auth.users.mfaChecks();

    for (int i = 0; i < 5; i++) {
      assertProblem(withCode(i % 2, token, wrongCode(factor)), 401, "invalid_mfa_code");
    }
    HttpResponse<Buffer> sixth = withRecoveryCode(0, token, factor.recoveryCode(0));

    assertProblem(sixth, 401, "invalid_mfa_token");
    assertThat(auth.users.mfaChecks()).as("the sixth code is never checked").isEqualTo(checksBefore + 5);
    assertThat(auth.sessionIds(user.userId())).isEmpty();
    // the recovery code was not used up: a fresh challenge takes it
    assertThat(withRecoveryCode(1, challenge(1, user), factor.recoveryCode(0)).statusCode()).isEqualTo(200);
  }

  @Test
  void anUnknownTokenIsRefusedWithoutAskingTheUserService() {
    int checksBefore = auth.users.mfaChecks();
    double invalid = logins(0, "mfa_token_invalid");

    assertProblem(withCode(0, "A".repeat(43), "123456"), 401, "invalid_mfa_token");
    assertProblem(withCode(0, "not-even-the-shape", "123456"), 401, "invalid_mfa_token");

    assertThat(auth.users.mfaChecks()).isEqualTo(checksBefore);
    assertThat(logins(0, "mfa_token_invalid")).isEqualTo(invalid + 2);
  }

  // ---- the account lockout

  @Test
  void wrongCodesOverFreshChallengesLockTheAccountAndARightPasswordDoesNotResetTheCount() {
    Credentials user = mfaUser("lars");
    SecondFactor factor = factorOf(user);
    double failed = logins(0, "mfa_failed");

    String first = challenge(0, user);
    for (int i = 0; i < 5; i++) {
      assertProblem(withCode(0, first, wrongCode(factor)), 401, "invalid_mfa_code");
    }
    // the right password again: a fresh challenge, and the account's 5 failures stay
    String second = challenge(1, user);
    assertProblem(withCode(1, second, wrongCode(factor)), 401, "invalid_mfa_code");

    HttpResponse<Buffer> next = login(0, user.username(), PASSWORD);
    assertProblem(next, 429, "too_many_attempts");
    assertThat(Long.parseLong(next.getHeader("Retry-After"))).isPositive();
    assertProblem(withCode(1, second, factor.code()), 429, "too_many_attempts");
    assertThat(logins(0, "mfa_failed")).isEqualTo(failed + 5);
    assertThat(auth.<Integer>query("SELECT count(*)::int AS n FROM auth.audit_events WHERE user_id = $1::uuid AND type = 'mfa.failed'"
      + " AND reason = 'totp'", rows -> rows.iterator().next().getInteger("n"), user.userId())).isEqualTo(6);
    assertThat(auth.<Integer>query("SELECT count(*)::int AS n FROM auth.audit_events WHERE user_id = $1::uuid AND type = 'login.locked'",
      rows -> rows.iterator().next().getInteger("n"), user.userId())).isGreaterThanOrEqualTo(1);
  }

  @Test
  void aSuccessfulSecondStepResetsTheAccountsCount() {
    Credentials user = mfaUser("sven");
    SecondFactor factor = factorOf(user);

    String first = challenge(0, user);
    for (int i = 0; i < 4; i++) {
      assertProblem(withCode(0, first, wrongCode(factor)), 401, "invalid_mfa_code");
    }
    assertThat(withRecoveryCode(1, challenge(1, user), factor.recoveryCode(0)).statusCode()).isEqualTo(200);

    // 4 earlier failures forgotten: 5 more are all checked (with 9 counted the account would lock on the third)
    String next = challenge(0, user);
    for (int i = 0; i < 5; i++) {
      assertProblem(withCode(0, next, wrongCode(factor)), 401, "invalid_mfa_code");
    }
    assertThat(challenge(1, user)).isNotBlank();
  }

  // ---- what changes kill a challenge

  @Test
  void aPasswordChangeNoticeBetweenTheStepsKillsTheToken() {
    Credentials user = mfaUser("paul");
    String token = challenge(0, user);
    assertThat(openChallenges(user.userId())).isEqualTo(1);
    int checksBefore = auth.users.mfaChecks();

    Credentials after = auth.users.changePassword(user.userId(), "another long password");
    notice(noticeOf(UserNotice.Type.PASSWORD_CHANGED, after, null));

    assertThat(openChallenges(user.userId())).isZero();
    assertProblem(withRecoveryCode(1, token, factorOf(user).recoveryCode(0)), 401, "invalid_mfa_token");
    assertThat(auth.users.mfaChecks()).as("refused on the auth side").isEqualTo(checksBefore);
  }

  @Test
  void aPasswordChangeTheUserServiceSeesFirstMakesTheTokenStale() {
    Credentials user = mfaUser("petra");
    String token = challenge(0, user);
    SecondFactor factor = factorOf(user);
    auth.users.changePassword(user.userId(), "another long password");
    int checksBefore = auth.users.mfaChecks();

    assertProblem(withRecoveryCode(1, token, factor.recoveryCode(0)), 401, "invalid_mfa_token");
    assertProblem(withRecoveryCode(0, token, factor.recoveryCode(0)), 401, "invalid_mfa_token");

    assertThat(auth.users.mfaChecks()).as("stale once, then the challenge is finished").isEqualTo(checksBefore + 1);
    assertThat(auth.sessionIds(user.userId())).isEmpty();
  }

  // ---- answers that must not differ

  @Test
  void theFirstStepAnswersAnUnknownUserAWrongPasswordAndAnMfaUserWithAWrongPasswordAlike() {
    Credentials plain = auth.users.addUnique("nora", PASSWORD);
    Credentials withFactor = mfaUser("nils");

    List<HttpResponse<Buffer>> answers = List.of(
      login(0, "nobody-" + nextIp.incrementAndGet(), "wrong password here"),
      login(0, plain.username(), "wrong password here"),
      login(0, withFactor.username(), "wrong password here"));

    HttpResponse<Buffer> reference = answers.get(0);
    assertProblem(reference, 401, "invalid_credentials");
    for (HttpResponse<Buffer> answer : answers) {
      assertThat(answer.statusCode()).isEqualTo(reference.statusCode());
      assertThat(comparableHeaders(answer.headers())).isEqualTo(comparableHeaders(reference.headers()));
      JsonObject body = answer.bodyAsJsonObject().copy();
      body.remove("requestId");
      JsonObject expected = reference.bodyAsJsonObject().copy();
      expected.remove("requestId");
      assertThat(body).isEqualTo(expected);
    }
  }

  private static Map<String, List<String>> comparableHeaders(MultiMap headers) {
    Map<String, List<String>> out = new TreeMap<>();
    for (String name : headers.names()) {
      String lower = name.toLowerCase();
      if (!lower.equals("date") && !lower.equals("x-request-id") && !lower.equals("content-length")) {
        out.put(lower, headers.getAll(name));
      }
    }
    return out;
  }

  // ---- the outage rule

  @Test
  void withTheUserServiceDownTheSecondStepAnswers503AndTheSameTokenWorksOnceItIsBack() {
    Credentials user = mfaUser("otto");
    // step one with the user service up: the user's entry (with its factor) is now cached
    String first = challenge(0, user);
    SecondFactor factor = factorOf(user);
    await(auth.users.stop());
    try {
      assertProblem(withRecoveryCode(0, first, factor.recoveryCode(0)), 503, "user_service_unavailable");
      // a cached user with a second factor and the right password: the challenge, never tokens
      String during = challenge(1, user);
      assertProblem(withCode(1, during, factor.code()), 503, "user_service_unavailable");
      assertThat(auth.sessionIds(user.userId())).isEmpty();
    } finally {
      await(auth.users.start());
    }

    HttpResponse<Buffer> back = withRecoveryCode(1, first, factor.recoveryCode(0));
    assertThat(back.statusCode()).as(back.bodyAsString()).isEqualTo(200);
    assertThat(auth.<Integer>query("SELECT attempts FROM auth.mfa_challenges WHERE token_hash = sha256(convert_to($1, 'UTF8'))",
      rows -> rows.iterator().next().getInteger("attempts"), first)).as("the unanswered attempt was given back").isEqualTo(1);
  }

  // ---- syncs

  @Test
  void enablingTheFactorDropsTheCachedEntrySoTheNextLoginAsksForIt() {
    Credentials user = auth.users.addUnique("emil", PASSWORD);
    assertThat(login(0, user.username(), PASSWORD).bodyAsJsonObject().containsKey("accessToken")).isTrue();
    assertThat(await(auth.passwordCache(0).peek(user.userId()))).as("cached after the login").isNotNull();

    auth.users.enableTotp(user.userId());
    notice(noticeOf(UserNotice.Type.MFA_ENABLED, auth.users.get(user.userId()), null));

    var cached = await(auth.passwordCache(1).peek(user.userId()));
    assertThat(cached == null || cached.credentials().secondFactorRequired()).as("no entry says 'no factor' any more").isTrue();
    for (int node = 0; node < 2; node++) {
      JsonObject body = login(node, user.username(), PASSWORD).bodyAsJsonObject();
      assertThat(body.getBoolean("mfaRequired")).as(body.encode()).isTrue();
      assertThat(body.containsKey("accessToken")).isFalse();
    }
  }

  @Test
  void removingTheFactorRevokesEveryOtherSessionAndKillsOpenChallenges() {
    Credentials user = mfaUser("karl");
    SecondFactor factor = factorOf(user);
    List<JsonObject> pairs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      HttpResponse<Buffer> response = withRecoveryCode(i % 2, challenge(i % 2, user), factor.recoveryCode(i));
      assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
      pairs.add(response.bodyAsJsonObject());
    }
    for (JsonObject pair : pairs) {
      assertThat(auth.validity(1, pair.getString("accessToken"))).isEqualTo("valid");
    }
    String open = challenge(0, user);
    JsonObject kept = pairs.get(0);

    Credentials after = auth.users.removeTotp(user.userId());
    notice(noticeOf(UserNotice.Type.MFA_REMOVED, after, kept.getString("sessionId")));

    assertThat(auth.liveSessionIds(user.userId())).containsExactly(kept.getString("sessionId"));
    for (JsonObject revoked : pairs.subList(1, 3)) {
      assertThat(auth.revokedReason(revoked.getString("sessionId"))).isEqualTo("mfa_removed");
      for (int node = 0; node < 2; node++) {
        int n = node;
        assertThat(auth.until(() -> Future.succeededFuture("revoked".equals(auth.validity(n, revoked.getString("accessToken")))), 2000))
          .as("access token refused on node " + node).isTrue();
      }
      assertProblem(auth.refresh(1, revoked.getString("refreshToken")), 401, "invalid_refresh_token");
    }
    assertThat(auth.validity(1, kept.getString("accessToken"))).isEqualTo("valid");
    assertThat(auth.refresh(0, kept.getString("refreshToken")).statusCode()).isEqualTo(200);
    assertThat(openChallenges(user.userId())).isZero();
    assertProblem(withRecoveryCode(1, open, factor.recoveryCode(5)), 401, "invalid_mfa_token");
    // a password alone logs in again
    assertThat(login(1, user.username(), PASSWORD).bodyAsJsonObject().containsKey("accessToken")).isTrue();
  }

  // ---- bad bodies

  @Test
  void badSecondStepBodiesAre400NeverA5xx() {
    String token = "B".repeat(43);
    List<JsonObject> bodies = List.of(
      new JsonObject().put("mfaToken", token).put("code", "123456").put("recoveryCode", "abc"),
      new JsonObject().put("mfaToken", token),
      new JsonObject().put("code", "123456"),
      new JsonObject().put("mfaToken", token).put("code", 123456),
      new JsonObject().put("mfaToken", 42).put("code", "123456"),
      new JsonObject().put("mfaToken", token).put("recoveryCode", new JsonArray().add("x")),
      new JsonObject().put("mfaToken", token).put("code", "12\u00003456"),
      new JsonObject().put("mfaToken", token + "\n").put("code", "123456"),
      new JsonObject().put("mfaToken", token).put("code", "1".repeat(10_000)),
      new JsonObject().put("mfaToken", token).put("recoveryCode", "r".repeat(10_000)),
      new JsonObject().put("mfaToken", "t".repeat(10_000)).put("code", "123456"),
      new JsonObject().put("mfaToken", token).put("code", ""),
      new JsonObject().put("mfaToken", token).put("code", "123456").put("extra", true));
    for (JsonObject body : bodies) {
      HttpResponse<Buffer> response = finish(0, body);
      assertThat(response.statusCode()).as(body.encode().substring(0, Math.min(120, body.encode().length()))).isEqualTo(400);
      assertThat(response.bodyAsJsonObject().getString("code")).isIn("validation_failed", "malformed_request");
    }
    HttpResponse<Buffer> notJson = await(auth.request(0, HttpMethod.POST, "/auth/login/mfa").putHeader("Content-Type", "application/json")
      .sendBuffer(Buffer.buffer("{\"mfaToken\": ")));
    assertThat(notJson.statusCode()).isEqualTo(400);
  }
}
