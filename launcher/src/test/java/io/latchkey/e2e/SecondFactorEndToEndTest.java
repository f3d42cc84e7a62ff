package io.latchkey.e2e;

import com.eatthepath.otp.TimeBasedOneTimePasswordGenerator;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.apache.commons.codec.binary.Base32;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import javax.crypto.spec.SecretKeySpec;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.IntStream;

import static io.latchkey.e2e.BothServices.AUTH_NODES;
import static io.latchkey.e2e.BothServices.await;
import static io.latchkey.e2e.E2eCalls.assertProblem;
import static io.latchkey.e2e.E2eCalls.bearer;
import static io.latchkey.e2e.E2eCalls.describe;
import static io.latchkey.e2e.E2eCalls.jwtClaims;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * TOTP and recovery codes with both real services (issue 13): enrolment at the user service, the
 * two-step login at either auth node with codes computed here as an authenticator app computes
 * them from the {@code otpauthUri}, {@code amr} in every answer that describes a token, the
 * single use of codes, and the removal that ends every other session on every node.
 */
@Timeout(90)
class SecondFactorEndToEndTest {

  private static final String PASSWORD = "a long passphrase 42";
  private static final Duration STEP = Duration.ofSeconds(30);
  private static final long WITHIN_MILLISECONDS = 500;

  private static BothServices services;

  @BeforeAll
  static void start() {
    services = BothServices.start();
  }

  @AfterAll
  static void stop() {
    if (services != null) {
      services.close();
    }
  }

  /** A user with TOTP on: its id, the Base32 secret, the recovery codes, and a session opened before enabling it. */
  private record Enrolled(String id, String name, String secret, List<String> recoveryCodes, JsonObject before) {
  }

  @Test
  void theWholeFlowFromEnrolmentToATwoStepLoginOnEitherAuthNode() {
    Enrolled user = enrol("totp");
    // GET shows the factor, never a secret
    JsonObject shown = userCall(HttpMethod.GET, "/users/" + user.id(), bearer(user.before().getString("accessToken")), null)
      .bodyAsJsonObject();
    assertThat(shown.getJsonArray("mfa")).containsExactly("totp");
    assertThat(shown.encode()).doesNotContain(user.secret());

    for (int node = 0; node < AUTH_NODES; node++) {
      // node 0 cached the user before the factor was on: the enable reached it
      JsonObject challenge = challenge(node, user.name());
      // a step is accepted once per user and only later steps after it: the confirmation used the
      // previous step, so the current one and the next are two logins
      HttpResponse<Buffer> finished = secondStep(node, challenge.getString("mfaToken"),
        new JsonObject().put("code", code(user.secret(), node)));
      assertThat(finished.statusCode()).as(describe(finished)).isEqualTo(200);
      JsonObject pair = finished.bodyAsJsonObject();
      assertThat(jwtClaims(pair.getString("accessToken")).getJsonArray("amr")).containsExactly("pwd", "otp", "mfa");
      for (int other = 0; other < AUTH_NODES; other++) {
        JsonObject validation = validate(other, pair.getString("accessToken"));
        assertThat(validation.getBoolean("valid")).as(validation.encode()).isTrue();
        assertThat(validation.getJsonArray("amr")).containsExactly("pwd", "otp", "mfa");
      }
      JsonObject introspection = authCall(node, HttpMethod.POST, "/auth/introspect", Map.of("X-API-Key", BothServices.FULL_KEY),
        new JsonObject().put("token", pair.getString("accessToken"))).bodyAsJsonObject();
      assertThat(introspection.getBoolean("active")).isTrue();
      assertThat(introspection.getJsonArray("amr")).containsExactly("pwd", "otp", "mfa");
      // a refresh keeps how the session was authenticated
      HttpResponse<Buffer> refreshed = authCall(1 - node, HttpMethod.POST, "/auth/refresh", Map.of(),
        new JsonObject().put("refreshToken", pair.getString("refreshToken")));
      assertThat(refreshed.statusCode()).as(describe(refreshed)).isEqualTo(200);
      assertThat(jwtClaims(refreshed.bodyAsJsonObject().getString("accessToken")).getJsonArray("amr"))
        .containsExactly("pwd", "otp", "mfa");
    }
    // the session opened with the password alone before the factor was on says so
    assertThat(jwtClaims(user.before().getString("accessToken")).getJsonArray("amr")).containsExactly("pwd");
  }

  @Test
  void aTotpCodeAcceptedOnceIsRefusedAgainOnTheOtherAuthNode() {
    Enrolled user = enrol("replay");
    String code = code(user.secret(), 0);
    HttpResponse<Buffer> first = secondStep(0, challenge(0, user.name()).getString("mfaToken"), new JsonObject().put("code", code));
    assertThat(first.statusCode()).as(describe(first)).isEqualTo(200);
    HttpResponse<Buffer> again = secondStep(1, challenge(1, user.name()).getString("mfaToken"), new JsonObject().put("code", code));
    assertProblem(again, 401, "invalid_mfa_code");
    // and the code of the confirmation's step, older than the one just used, too
    HttpResponse<Buffer> older = secondStep(1, challenge(1, user.name()).getString("mfaToken"),
      new JsonObject().put("code", code(user.secret(), -1)));
    assertProblem(older, 401, "invalid_mfa_code");
  }

  @Test
  void aRecoveryCodeWorksOnceEvenWhenTwoLoginsRaceWithIt() {
    Enrolled user = enrol("recovery");
    assertThat(user.recoveryCodes()).hasSize(10).doesNotHaveDuplicates();
    String recovery = user.recoveryCodes().get(3);
    List<String> tokens = IntStream.range(0, AUTH_NODES).mapToObj(node -> challenge(node, user.name()).getString("mfaToken")).toList();
    List<Future<HttpResponse<Buffer>>> racing = new ArrayList<>();
    for (int node = 0; node < AUTH_NODES; node++) {
      racing.add(services.send(services.authPort(node), HttpMethod.POST, "/auth/login/mfa", Map.of(),
        new JsonObject().put("mfaToken", tokens.get(node)).put("recoveryCode", recovery)));
    }
    await(Future.join(racing), 30);
    List<Integer> statuses = racing.stream().map(f -> f.result().statusCode()).sorted().toList();
    assertThat(statuses).as("two logins racing with one recovery code").containsExactly(200, 401);
    HttpResponse<Buffer> won = racing.stream().map(Future::result).filter(r -> r.statusCode() == 200).findFirst().orElseThrow();
    assertThat(jwtClaims(won.bodyAsJsonObject().getString("accessToken")).getJsonArray("amr")).contains("mfa");
    // another code of the list still works, once
    HttpResponse<Buffer> other = secondStep(0, challenge(0, user.name()).getString("mfaToken"),
      new JsonObject().put("recoveryCode", user.recoveryCodes().get(7).toUpperCase()));
    assertThat(other.statusCode()).as(describe(other)).isEqualTo(200);
  }

  @Test
  void aPasswordChangeBetweenTheTwoStepsKillsTheMfaToken() {
    Enrolled user = enrol("pwchange");
    String mfaToken = challenge(0, user.name()).getString("mfaToken");
    HttpResponse<Buffer> changed = userCall(HttpMethod.POST, "/users/" + user.id() + "/change-password",
      bearer(user.before().getString("accessToken")),
      new JsonObject().put("currentPassword", PASSWORD).put("newPassword", "another long passphrase 43"));
    assertThat(changed.statusCode()).as(describe(changed)).isEqualTo(204);
    assertProblem(secondStep(1, mfaToken, new JsonObject().put("code", code(user.secret(), 1))), 401, "invalid_mfa_token");
  }

  @Test
  void theFirstStepSaysNothingBeforeThePasswordIsRight() {
    Enrolled user = enrol("same");
    String plain = uniqueName("plain");
    register(plain);
    List<HttpResponse<Buffer>> answers = List.of(
      login(0, "nobody_" + UUID.randomUUID().toString().substring(0, 8), PASSWORD),
      login(0, plain, "a wrong passphrase 99"),
      login(0, user.name(), "a wrong passphrase 99"));
    HttpResponse<Buffer> first = answers.get(0);
    for (HttpResponse<Buffer> answer : answers) {
      assertProblem(answer, 401, "invalid_credentials");
      JsonObject body = answer.bodyAsJsonObject().copy();
      body.remove("requestId");
      JsonObject firstBody = first.bodyAsJsonObject().copy();
      firstBody.remove("requestId");
      assertThat(body).isEqualTo(firstBody);
      assertThat(headers(answer)).isEqualTo(headers(first));
    }
  }

  @Test
  void removingTheFactorEndsEveryOtherSessionOnEveryNodeAndAPasswordIsEnoughAgain() {
    Enrolled user = enrol("remove");
    JsonObject kept = finish(0, user, 0);
    JsonObject other = finish(1, user, 1);
    HttpResponse<Buffer> wrong = userCall(HttpMethod.DELETE, "/users/" + user.id() + "/mfa/totp",
      bearer(kept.getString("accessToken")), new JsonObject().put("currentPassword", "a wrong passphrase 99"));
    assertProblem(wrong, 403, "invalid_current_password");
    HttpResponse<Buffer> removed = userCall(HttpMethod.DELETE, "/users/" + user.id() + "/mfa/totp",
      bearer(kept.getString("accessToken")), new JsonObject().put("currentPassword", PASSWORD));
    assertThat(removed.statusCode()).as(describe(removed)).isEqualTo(204);
    // the other session (and the one from before the factor) ends on every node; the remover's lives
    await(revokedOnEveryNodeWithin(other.getString("accessToken"), WITHIN_MILLISECONDS), 30);
    await(revokedOnEveryNodeWithin(user.before().getString("accessToken"), WITHIN_MILLISECONDS), 30);
    assertProblem(authCall(0, HttpMethod.POST, "/auth/refresh", Map.of(),
      new JsonObject().put("refreshToken", other.getString("refreshToken"))), 401, "invalid_refresh_token");
    for (int node = 0; node < AUTH_NODES; node++) {
      assertThat(validate(node, kept.getString("accessToken")).getBoolean("valid")).isTrue();
    }
    assertThat(userCall(HttpMethod.GET, "/users/" + user.id(), bearer(kept.getString("accessToken")), null)
      .bodyAsJsonObject().getJsonArray("mfa")).isEmpty();
    // the password alone is a login again, on either node, and says so
    for (int node = 0; node < AUTH_NODES; node++) {
      HttpResponse<Buffer> response = login(node, user.name(), PASSWORD);
      assertThat(response.statusCode()).as(describe(response)).isEqualTo(200);
      assertThat(jwtClaims(response.bodyAsJsonObject().getString("accessToken")).getJsonArray("amr")).containsExactly("pwd");
    }
    // the audit trail has both changes
    JsonArray events = userCall(HttpMethod.GET, "/admin/audit-events?userId=" + user.id(), Map.of("X-API-Key", BothServices.FULL_KEY), null)
      .bodyAsJsonObject().getJsonArray("items");
    List<String> types = events.stream().map(e -> ((JsonObject) e).getString("type")).toList();
    assertThat(types).contains("mfa.enabled", "mfa.removed");
  }

  /**
   * The otpauthUri read by oathtool (Debian's oathtool, an RFC 6238 implementation independent of
   * the library the service uses) gives codes the service accepts. The test command installs
   * oathtool and sets LATCHKEY_TEST_OATHTOOL=required; elsewhere the test is skipped without it.
   */
  @Test
  void oathtoolComputesCodesTheServiceAccepts() throws Exception {
    boolean present = new ProcessBuilder("sh", "-c", "command -v oathtool").start().waitFor() == 0;
    if ("required".equals(System.getenv("LATCHKEY_TEST_OATHTOOL"))) {
      assertThat(present).as("oathtool on the PATH (Debian: apt-get install oathtool)").isTrue();
    }
    Assumptions.assumeTrue(present, "oathtool is not installed");
    Enrolled user = enrol("oath");
    String byOathtool = oathtool(user.secret());
    assertThat(byOathtool).matches("[0-9]{6}").isIn(code(user.secret(), 0), code(user.secret(), -1), code(user.secret(), 1));
    HttpResponse<Buffer> finished = secondStep(1, challenge(1, user.name()).getString("mfaToken"), new JsonObject().put("code", byOathtool));
    assertThat(finished.statusCode()).as(describe(finished)).isEqualTo(200);
  }

  private static String oathtool(String base32Secret) throws Exception {
    Process process = new ProcessBuilder("oathtool", "--totp", "--base32", base32Secret).redirectErrorStream(true).start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(process.waitFor()).as("oathtool: " + out).isZero();
    return out;
  }

  // ---- steps

  /**
   * Registers a user, opens a password session, enrols TOTP with the secret read from the
   * otpauthUri, and confirms it with the code of the previous step (one step of drift is
   * accepted), which leaves the current and the next step for two logins.
   */
  private static Enrolled enrol(String prefix) {
    String name = uniqueName(prefix);
    String id = register(name).getString("id");
    HttpResponse<Buffer> loggedIn = login(0, name, PASSWORD);
    assertThat(loggedIn.statusCode()).as(describe(loggedIn)).isEqualTo(200);
    JsonObject before = loggedIn.bodyAsJsonObject();
    HttpResponse<Buffer> started = userCall(HttpMethod.POST, "/users/" + id + "/mfa/totp", bearer(before.getString("accessToken")),
      new JsonObject().put("currentPassword", PASSWORD));
    assertThat(started.statusCode()).as(describe(started)).isEqualTo(200);
    JsonObject enrolment = started.bodyAsJsonObject();
    // as an authenticator app does: the secret from the URI (and it is the one the answer gives)
    URI uri = URI.create(enrolment.getString("otpauthUri"));
    assertThat(uri.getScheme()).isEqualTo("otpauth");
    assertThat(uri.getHost()).isEqualTo("totp");
    Map<String, String> query = queryOf(uri);
    assertThat(query).containsEntry("secret", enrolment.getString("secret")).containsEntry("digits", "6")
      .containsEntry("period", "30").containsEntry("algorithm", "SHA1");
    String secret = query.get("secret");
    HttpResponse<Buffer> confirmed = userCall(HttpMethod.POST, "/users/" + id + "/mfa/totp/confirm",
      bearer(before.getString("accessToken")), new JsonObject().put("code", code(secret, -1)));
    assertThat(confirmed.statusCode()).as(describe(confirmed)).isEqualTo(200);
    List<String> recovery = confirmed.bodyAsJsonObject().getJsonArray("recoveryCodes").stream().map(String.class::cast).toList();
    return new Enrolled(id, name, secret, recovery, before);
  }

  private static Map<String, String> queryOf(URI uri) {
    Map<String, String> query = new HashMap<>();
    for (String part : uri.getRawQuery().split("&")) {
      int eq = part.indexOf('=');
      query.put(URLDecoder.decode(part.substring(0, eq), StandardCharsets.UTF_8),
        URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8));
    }
    return query;
  }

  /** The RFC 6238 code of the current step moved by {@code steps} (one step of drift either way is accepted). */
  private static String code(String base32Secret, int steps) {
    try {
      TimeBasedOneTimePasswordGenerator totp = new TimeBasedOneTimePasswordGenerator(STEP, 6);
      return totp.generateOneTimePasswordString(new SecretKeySpec(new Base32().decode(base32Secret), totp.getAlgorithm()),
        Instant.now().plus(STEP.multipliedBy(steps)));
    } catch (InvalidKeyException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The first step with the right password: the challenge, its shape checked, no token in it. */
  private static JsonObject challenge(int node, String name) {
    HttpResponse<Buffer> response = login(node, name, PASSWORD);
    assertThat(response.statusCode()).as(describe(response)).isEqualTo(200);
    JsonObject challenge = response.bodyAsJsonObject();
    assertThat(challenge.getBoolean("mfaRequired")).as(challenge.encode()).isTrue();
    assertThat(challenge.getJsonArray("methods")).containsExactly("totp", "recovery_code");
    assertThat(challenge.getLong("expiresIn")).isEqualTo(300L);
    assertThat(challenge.getString("mfaToken")).isNotBlank();
    assertThat(challenge.fieldNames()).doesNotContain("accessToken", "refreshToken");
    return challenge;
  }

  private static JsonObject finish(int node, Enrolled user, int steps) {
    HttpResponse<Buffer> response = secondStep(node, challenge(node, user.name()).getString("mfaToken"),
      new JsonObject().put("code", code(user.secret(), steps)));
    assertThat(response.statusCode()).as(describe(response)).isEqualTo(200);
    return response.bodyAsJsonObject();
  }

  private static HttpResponse<Buffer> secondStep(int node, String mfaToken, JsonObject code) {
    return authCall(node, HttpMethod.POST, "/auth/login/mfa", Map.of(), code.copy().put("mfaToken", mfaToken));
  }

  private static String uniqueName(String prefix) {
    return prefix + "_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
  }

  private static JsonObject register(String username) {
    HttpResponse<Buffer> response = userCall(HttpMethod.POST, "/users", Map.of(), new JsonObject()
      .put("username", username).put("email", username.toLowerCase() + "@example.com").put("password", PASSWORD));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(201);
    return response.bodyAsJsonObject();
  }

  private static HttpResponse<Buffer> login(int node, String login, String password) {
    return authCall(node, HttpMethod.POST, "/auth/login", Map.of(), new JsonObject().put("login", login).put("password", password));
  }

  private static JsonObject validate(int node, String token) {
    HttpResponse<Buffer> response = authCall(node, HttpMethod.POST, "/auth/validate-token",
      Map.of("X-API-Key", BothServices.VALIDATE_KEY), new JsonObject().put("token", token));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    return response.bodyAsJsonObject();
  }

  private static Future<Long> revokedOnEveryNodeWithin(String token, long boundMs) {
    return Polls.until(services.userNode, boundMs, 5, () -> {
      List<Future<HttpResponse<Buffer>>> answers = new ArrayList<>();
      IntStream.range(0, AUTH_NODES).forEach(node -> answers.add(services.send(services.authPort(node), HttpMethod.POST,
        "/auth/validate-token", Map.of("X-API-Key", BothServices.VALIDATE_KEY), new JsonObject().put("token", token))));
      return Future.all(answers).map(all -> answers.stream().map(Future::result).allMatch(r -> r.statusCode() == 200
        && Boolean.FALSE.equals(r.bodyAsJsonObject().getBoolean("valid"))));
    }).recover(err -> Future.failedFuture(new AssertionError("the token was not refused on every auth node within " + boundMs + " ms")));
  }

  /** The headers that must not differ between two answers (all but Date, X-Request-Id and Content-Length). */
  private static Map<String, String> headers(HttpResponse<Buffer> response) {
    Map<String, String> out = new HashMap<>();
    Set<String> ignored = Set.of("date", "x-request-id", "content-length");
    response.headers().forEach((name, value) -> {
      if (!ignored.contains(name.toLowerCase())) {
        out.merge(name.toLowerCase(), value, (a, b) -> a + ", " + b);
      }
    });
    return out;
  }

  private static HttpResponse<Buffer> userCall(HttpMethod method, String path, Map<String, String> headers, JsonObject body) {
    return services.call(services.userPort(), method, path, headers, body);
  }

  private static HttpResponse<Buffer> authCall(int node, HttpMethod method, String path, Map<String, String> headers,
                                               JsonObject body) {
    return services.call(services.authPort(node), method, path, headers, body);
  }

}
