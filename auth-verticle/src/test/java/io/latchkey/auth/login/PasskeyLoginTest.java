package io.latchkey.auth.login;

import io.latchkey.auth.http.LoginRoutes;
import io.latchkey.auth.session.PasskeyChallenges;
import io.latchkey.auth.testing.AuthFixture;
import io.latchkey.auth.testing.AuthTest;
import io.latchkey.auth.testing.FakeUserService.Passkey;
import io.latchkey.common.bus.Credentials;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import static io.latchkey.auth.testing.Problems.assertProblem;
import static io.latchkey.common.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Passkey login on two nodes against the fake user service's USER_PASSKEY_CHECK (which checks the
 * credential id, the challenge binding and a stand-in signature; real WebAuthn verification is the
 * user service's, tested there): options on one node, login on the other, the challenge's single
 * use and expiry, refusals and their counting, disabled users, the outage, a TOTP user, bad bodies
 * and the options limit. Every call comes from a client IP of its own (127.0.0.1 is a trusted
 * proxy) unless a test counts one IP; the account locks after 3 failures, an IP after 4.
 */
@Timeout(120)
@AuthTest(nodes = 2, settings = {"TRUSTED_PROXIES=127.0.0.1", "LOGIN_ACCOUNT_MAX_FAILURES=3", "LOGIN_IP_MAX_FAILURES=4"})
class PasskeyLoginTest {

  private static final List<String> PASSKEY_AMR = List.of("hwk", "user", "mfa");
  private static final AtomicInteger nextIp = new AtomicInteger(1);

  private final AuthFixture auth;

  PasskeyLoginTest(AuthFixture auth) {
    this.auth = auth;
  }

  // ---- helpers

  private static String nextIp() {
    int n = nextIp.getAndIncrement();
    return "203.0." + (n / 250) + "." + (n % 250 + 1);
  }

  private HttpResponse<Buffer> options(int node, String ip) {
    return await(auth.request(node, HttpMethod.POST, "/auth/passkey/options").putHeader("X-Forwarded-For", ip).send());
  }

  /** Fresh options from a fresh IP: {@code {"challengeId", "challenge", ...}}. */
  private JsonObject options(int node) {
    HttpResponse<Buffer> response = options(node, nextIp());
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    return response.bodyAsJsonObject();
  }

  private HttpResponse<Buffer> login(int node, String ip, String challengeId, JsonObject credential) {
    return auth.postJson(node, "/auth/passkey/login", new JsonObject().put("challengeId", challengeId).put("credential", credential),
      "X-Forwarded-For", ip);
  }

  private HttpResponse<Buffer> login(int node, String challengeId, JsonObject credential) {
    return login(node, nextIp(), challengeId, credential);
  }

  private HttpResponse<Buffer> rawLogin(String body) {
    return await(auth.request(0, HttpMethod.POST, "/auth/passkey/login").putHeader("X-Forwarded-For", nextIp())
      .putHeader("Content-Type", "application/json").sendBuffer(Buffer.buffer(body)));
  }

  /** A fresh user with one passkey. */
  private Passkey passkeyUser(String prefix) {
    Credentials user = auth.users.addUnique(prefix, "a long enough password");
    return auth.users.addPasskey(user.userId());
  }

  private static JsonObject payload(String accessToken) {
    return new JsonObject(new String(Base64.getUrlDecoder().decode(accessToken.split("\\.")[1]), StandardCharsets.UTF_8));
  }

  private long challengeRows(String challengeId) {
    return auth.<Long>query("SELECT count(*) AS n FROM auth.passkey_challenges WHERE id = $1::uuid",
      rows -> rows.iterator().next().getLong("n"), challengeId);
  }

  private long auditCount(String type, String userId, String outcome, String reason) {
    return auth.<Long>query("SELECT count(*) AS n FROM auth.audit_events WHERE type = $1"
        + " AND user_id IS NOT DISTINCT FROM $2::uuid AND outcome = $3 AND reason = $4", rows -> rows.iterator().next().getLong("n"), type, userId, outcome, reason);
  }

  private double logins(int node, String outcome) {
    return auth.metrics(node).get("latchkey.logins").tag("outcome", outcome).counter().count();
  }

  // ---- the happy path

  @Test
  void optionsOnOneNodeAndLoginOnTheOtherIssueATokenPairWithPasskeyAmrAndAListedSession() {
    Passkey passkey = passkeyUser("pk-happy");
    JsonObject options = options(0);
    assertThat(options.getString("rpId")).isEqualTo("localhost");
    assertThat(options.getLong("timeout")).isEqualTo(300_000L);
    assertThat(options.getString("userVerification")).isEqualTo("required");
    assertThat(options.getJsonArray("allowCredentials")).isEmpty();
    assertThat(Base64.getUrlDecoder().decode(options.getString("challenge"))).hasSize(32);
    String challengeId = options.getString("challengeId");
    assertThat(auth.<byte[]>query("SELECT challenge_hash FROM auth.passkey_challenges WHERE id = $1::uuid",
      rows -> rows.iterator().next().getBuffer("challenge_hash").getBytes(), challengeId))
      .as("stored by its hash only").isEqualTo(PasskeyChallenges.hash(options.getString("challenge")));
    double successes = logins(1, "success");

    HttpResponse<Buffer> response = login(1, challengeId, passkey.assertion(options.getString("challenge")));

    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    JsonObject pair = response.bodyAsJsonObject();
    assertThat(pair.getString("refreshToken")).isNotBlank();
    String access = pair.getString("accessToken");
    assertThat(payload(access).getString("sub")).isEqualTo(passkey.userId());
    assertThat(payload(access).getJsonArray("amr")).containsExactlyElementsOf(PASSKEY_AMR);
    for (int node = 0; node < 2; node++) {
      JsonObject validated = auth.validation(node, access);
      assertThat(validated.getBoolean("valid")).isTrue();
      assertThat(validated.getJsonArray("amr")).containsExactlyElementsOf(PASSKEY_AMR);
      JsonObject introspected = auth.postWithKey(node, "/auth/introspect", new JsonObject().put("token", access)).bodyAsJsonObject();
      assertThat(introspected.getBoolean("active")).isTrue();
      assertThat(introspected.getJsonArray("amr")).containsExactlyElementsOf(PASSKEY_AMR);
    }
    JsonArray listed = auth.bearer(0, HttpMethod.GET, "/auth/sessions", access).bodyAsJsonObject().getJsonArray("items");
    assertThat(listed).hasSize(1);
    assertThat(listed.getJsonObject(0).getString("id")).isEqualTo(pair.getString("sessionId"));
    assertThat(listed.getJsonObject(0).getJsonArray("amr")).containsExactlyElementsOf(PASSKEY_AMR);
    assertThat(challengeRows(challengeId)).as("used up").isZero();
    assertThat(auth.<String>query("SELECT string_agg(type || '/' || outcome || '/' || reason, ',') AS events"
        + " FROM auth.audit_events WHERE session_id = $1", rows -> rows.iterator().next().getString("events"), pair.getString("sessionId")))
      .as("one success event, written with the session").isEqualTo("passkey.login/success/passkey:" + passkey.passkeyId());
    assertThat(logins(1, "success")).isEqualTo(successes + 1);
  }

  @Test
  void aUserWithTotpLogsInWithAPasskeyAloneWithoutASecondStep() {
    Passkey passkey = passkeyUser("pk-totp");
    auth.users.enableTotp(passkey.userId());
    JsonObject options = options(1);

    HttpResponse<Buffer> response = login(0, options.getString("challengeId"), passkey.assertion(options.getString("challenge")));

    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    assertThat(response.bodyAsJsonObject().containsKey("mfaRequired")).isFalse();
    assertThat(payload(response.bodyAsJsonObject().getString("accessToken")).getJsonArray("amr")).containsExactlyElementsOf(PASSKEY_AMR);
    assertThat(auth.users.mfaChecks()).as("no code was asked for").isZero();
  }

  // ---- the challenge

  @Test
  void aChallengeIsSingleUseAcrossNodes() {
    Passkey passkey = passkeyUser("pk-once");
    JsonObject options = options(0);
    String challengeId = options.getString("challengeId");
    JsonObject assertion = passkey.assertion(options.getString("challenge"));
    assertThat(login(0, challengeId, assertion).statusCode()).isEqualTo(200);
    int checks = auth.users.passkeyChecks();

    HttpResponse<Buffer> replay = login(1, challengeId, assertion);

    assertProblem(replay, 401, "invalid_credentials");
    assertThat(auth.users.passkeyChecks()).as("a used challenge never reaches the user service").isEqualTo(checks);
    assertThat(auditCount("passkey.login", passkey.userId(), "success", "passkey:" + passkey.passkeyId())).isEqualTo(1);
  }

  @Test
  void anUnknownChallengeIdOrAnAssertionOverAnotherChallengeIsRefusedAndTheChallengeIsGone() {
    Passkey passkey = passkeyUser("pk-unknown");
    JsonObject options = options(0);

    assertProblem(login(0, UUID.randomUUID().toString(), passkey.assertion(options.getString("challenge"))), 401, "invalid_credentials");
    JsonObject other = options(0);
    int checks = auth.users.passkeyChecks();
    assertProblem(login(1, options.getString("challengeId"), passkey.assertion(other.getString("challenge"))), 401,
      "invalid_credentials");
    assertThat(auth.users.passkeyChecks()).as("bound to its challenge here, before the user service is asked").isEqualTo(checks);
    assertThat(challengeRows(options.getString("challengeId"))).as("used up by the failed attempt").isZero();
    assertProblem(login(1, options.getString("challengeId"), passkey.assertion(options.getString("challenge"))), 401,
      "invalid_credentials");
    // the other challenge is still good
    assertThat(login(1, other.getString("challengeId"), passkey.assertion(other.getString("challenge"))).statusCode()).isEqualTo(200);
  }

  @Test
  void anExpiredChallengeIsRefused() {
    Passkey passkey = passkeyUser("pk-expired");
    // a challenge of a short lifetime, stored as the service stores them (the contract's 5 minutes are a constant)
    PasskeyChallenges.Issued issued = await(new PasskeyChallenges(auth.sql(), Duration.ofMillis(200)).issue());
    await(auth.nodes.get(0).timer(1000));
    int checks = auth.users.passkeyChecks();

    assertProblem(login(0, issued.id().toString(), passkey.assertion(issued.challenge())), 401, "invalid_credentials");
    assertThat(auth.users.passkeyChecks()).isEqualTo(checks);
    assertThat(auditCount("passkey.login", null, "failure", "unknown_challenge")).isPositive();
  }

  // ---- refusals and their counting

  @Test
  void aRejectedAssertionIs401AuditedAndCountedUntilTheAccountLocksEvenAValidOne() {
    Passkey passkey = passkeyUser("pk-rejected");
    for (int i = 0; i < 3; i++) {
      JsonObject options = options(i % 2);
      HttpResponse<Buffer> response = login(i % 2, options.getString("challengeId"), passkey.badSignature(options.getString("challenge")));
      assertProblem(response, 401, "invalid_credentials");
    }
    assertThat(auditCount("passkey.login", passkey.userId(), "failure", "bad_signature")).isEqualTo(3);

    JsonObject options = options(0);
    HttpResponse<Buffer> locked = login(0, options.getString("challengeId"), passkey.assertion(options.getString("challenge")));

    assertProblem(locked, 429, "too_many_attempts");
    assertThat(locked.getHeader("Retry-After")).isNotBlank();
    assertThat(auth.liveSessionIds(passkey.userId())).isEmpty();
    assertThat(auditCount("login.locked", passkey.userId(), "failure", "account_locked")).isEqualTo(1);
  }

  @Test
  void failuresFromOneClientIpLockThatIp() {
    Passkey passkey = passkeyUser("pk-ip");
    String ip = nextIp();
    for (int i = 0; i < 4; i++) {
      assertProblem(login(0, ip, UUID.randomUUID().toString(), passkey.assertion("x")), 401, "invalid_credentials");
    }
    JsonObject options = options(1);

    HttpResponse<Buffer> locked = login(1, ip, options.getString("challengeId"), passkey.assertion(options.getString("challenge")));

    assertProblem(locked, 429, "too_many_attempts");
    assertThat(locked.getHeader("Retry-After")).isNotBlank();
    assertThat(challengeRows(options.getString("challengeId"))).as("a locked request uses nothing up").isEqualTo(1);
    // another address is not locked
    assertThat(login(1, options.getString("challengeId"), passkey.assertion(options.getString("challenge"))).statusCode())
      .isEqualTo(200);
  }

  @Test
  void aValidAssertionOfADisabledUserIs403AndOpensNothing() {
    Passkey passkey = passkeyUser("pk-disabled");
    auth.users.disable(passkey.userId());
    JsonObject options = options(0);

    HttpResponse<Buffer> response = login(1, options.getString("challengeId"), passkey.assertion(options.getString("challenge")));

    assertProblem(response, 403, "account_disabled");
    assertThat(auth.sessionIds(passkey.userId())).isEmpty();
    assertThat(auditCount("login.failed", passkey.userId(), "failure", "account_disabled")).isEqualTo(1);
  }

  @Test
  void theUserServiceDownIs503AndTheChallengeIsGone() {
    Passkey passkey = passkeyUser("pk-down");
    JsonObject options = options(0);
    await(auth.users.stop());
    HttpResponse<Buffer> response;
    try {
      response = login(0, options.getString("challengeId"), passkey.assertion(options.getString("challenge")));
    } finally {
      await(auth.users.start());
    }

    assertProblem(response, 503, "user_service_unavailable");
    assertThat(response.bodyAsJsonObject().getString("detail")).contains("new options");
    assertThat(challengeRows(options.getString("challengeId"))).isZero();
    assertThat(auth.sessionIds(passkey.userId())).isEmpty();
  }

  // ---- bad input

  @Test
  void badBodiesAre400NeverA5xx() {
    JsonObject options = options(0);
    String id = options.getString("challengeId");
    JsonObject credential = new JsonObject().put("id", "abc").put("response", new JsonObject().put("clientDataJSON", "e30"));

    assertProblem(login(0, "not-a-uuid", credential), 400, "validation_failed");
    assertProblem(login(0, id + "\u0000", credential), 400, "validation_failed");
    assertProblem(rawLogin("{\"challengeId\":\"" + id + "\",\"credential\":\"a string\"}"), 400, "malformed_request");
    assertProblem(rawLogin("{\"challengeId\":42,\"credential\":{}}"), 400, "malformed_request");
    assertProblem(rawLogin("{\"challengeId\":\"" + id + "\"}"), 400, "validation_failed");
    assertProblem(rawLogin("{\"credential\":{}}"), 400, "validation_failed");
    assertProblem(rawLogin("{\"challengeId\":\"" + id + "\",\"credential\":{},\"userId\":\"x\"}"), 400, "validation_failed");
    assertProblem(rawLogin("[]"), 400, "malformed_request");
    assertProblem(rawLogin(""), 400, "malformed_request");
    assertProblem(rawLogin("{\"challengeId\":"), 400, "malformed_request");
    assertProblem(login(0, id, new JsonObject().put("id", "a\u0000b")), 400, "validation_failed");
    assertProblem(login(0, id, new JsonObject().put("response", new JsonObject().put("clientDataJSON", "\ud800"))), 400,
      "validation_failed");
    JsonObject deep = new JsonObject();
    for (int i = 0; i < 20; i++) {
      deep = new JsonObject().put("n", deep);
    }
    assertProblem(login(0, id, deep), 400, "validation_failed");
    assertProblem(login(0, id, new JsonObject().put("id", "x".repeat(LoginRoutes.MAX_CREDENTIAL_LENGTH))), 400, "validation_failed");
    assertThat(challengeRows(id)).as("no bad body used the challenge up").isEqualTo(1);
    // a well-formed body whose assertion is garbage is a failed login, not a bad request
    assertProblem(login(0, id, credential), 401, "invalid_credentials");
  }

  @Test
  void optionsTakeNoBodyOrAnEmptyObject() {
    String ip = nextIp();
    assertThat(options(0, ip).statusCode()).isEqualTo(200);
    HttpResponse<Buffer> empty = await(auth.request(0, HttpMethod.POST, "/auth/passkey/options").putHeader("X-Forwarded-For", ip)
      .sendJsonObject(new JsonObject()));
    assertThat(empty.statusCode()).isEqualTo(200);
    assertThat(empty.bodyAsJsonObject().getString("challengeId")).isNotBlank();
    HttpResponse<Buffer> extra = await(auth.request(0, HttpMethod.POST, "/auth/passkey/options").putHeader("X-Forwarded-For", ip)
      .sendJsonObject(new JsonObject().put("username", "someone")));
    assertProblem(extra, 400, "validation_failed");
  }

  @Test
  void optionsAreLimitedPerClientIpAcrossNodes() {
    String ip = nextIp();
    for (int i = 0; i < PasskeyLoginService.OPTIONS_PER_IP; i++) {
      HttpResponse<Buffer> response = options(i % 2, ip);
      assertThat(response.statusCode()).as("request %d: %s", i, response.bodyAsString()).isEqualTo(200);
    }

    HttpResponse<Buffer> over = options(1, ip);

    assertProblem(over, 429, "too_many_requests");
    assertThat(Long.parseLong(over.getHeader("Retry-After"))).isBetween(1L, (long) PasskeyLoginService.OPTIONS_WINDOW_SECONDS);
    assertThat(options(0, nextIp()).statusCode()).as("another client").isEqualTo(200);
  }
}
