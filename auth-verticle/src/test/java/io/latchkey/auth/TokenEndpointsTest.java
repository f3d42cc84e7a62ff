package io.latchkey.auth;

import io.latchkey.auth.testing.AuthFixture;
import io.latchkey.auth.testing.AuthTest;
import io.latchkey.auth.testing.Problems;
import io.latchkey.auth.testing.FakeUserService;
import io.latchkey.auth.session.TokenPair;
import io.latchkey.auth.token.AccessClaims;
import io.latchkey.auth.token.AccessTokens;
import io.latchkey.common.ApiKeys;
import io.latchkey.common.BusAddresses;
import io.latchkey.common.BusAuth;
import io.latchkey.common.bus.Credentials;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.ext.web.client.WebClient;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.latchkey.common.testing.Await.await;
import static io.latchkey.common.testing.Await.failure;
import static org.assertj.core.api.Assertions.assertThat;

/** validate-token, introspect, the AUTH_VALIDATE bus endpoint, logout, logout-all and JWKS. */
@AuthTest
class TokenEndpointsTest {

  static Credentials bob;

  private final AuthFixture auth;

  TokenEndpointsTest(AuthFixture auth) {
    this.auth = auth;
  }

  @BeforeAll
  static void addUsers(FakeUserService users) {
    bob = users.add("bob", "bobs long password", "user", "admin");
  }

  TokenPair login(Credentials user) {
    return auth.openSession(0, user, "JUnit", "10.0.0.1");
  }

  HttpResponse<Buffer> validate(String token, String key) {
    return key == null
      ? auth.postJson(0, "/auth/validate-token", new JsonObject().put("token", token))
      : auth.postJson(0, "/auth/validate-token", new JsonObject().put("token", token), "X-API-Key", key);
  }

  @Test
  void validateTokenAnswersTheContractForAValidToken() {
    TokenPair pair = login(bob);
    for (String key : List.of(AuthFixture.FULL_KEY, AuthFixture.VALIDATE_KEY)) {
      HttpResponse<Buffer> response = validate(pair.accessToken(), key);
      assertThat(response.statusCode()).isEqualTo(200);
      JsonObject body = response.bodyAsJsonObject();
      assertThat(body.fieldNames()).containsExactlyInAnyOrder("valid", "userId", "sessionId", "username", "roles", "amr", "expiresAt");
      assertThat(body.getJsonArray("amr")).as("a password login").containsExactly("pwd");
      assertThat(body.getBoolean("valid")).isTrue();
      assertThat(body.getString("userId")).isEqualTo(bob.userId());
      assertThat(body.getString("sessionId")).isEqualTo(pair.sessionId());
      assertThat(body.getString("username")).isEqualTo("bob");
      assertThat(body.getJsonArray("roles")).isEqualTo(new JsonArray().add("user").add("admin"));
      assertThat(Instant.parse(body.getString("expiresAt"))).isBetween(Instant.now().plusSeconds(880), Instant.now().plusSeconds(901));
    }
  }

  @Test
  void validateTokenWantsAKeyAndABearerTokenDoesNotReplaceIt() {
    TokenPair pair = login(bob);
    for (String key : new String[] {null, "wrong-key", ""}) {
      HttpResponse<Buffer> response = validate(pair.accessToken(), key);
      assertThat(response.statusCode()).as("key " + key).isEqualTo(401);
      assertThat(response.bodyAsJsonObject().getString("code")).isEqualTo("invalid_api_key");
    }
    HttpResponse<Buffer> withBearer = await(auth.request(0, HttpMethod.POST, "/auth/validate-token")
      .bearerTokenAuthentication(pair.accessToken()).sendJsonObject(new JsonObject().put("token", pair.accessToken())));
    Problems.assertProblem(withBearer, 401, "invalid_api_key");
  }

  @Test
  void theValidateOnlyKeyIsRefusedEverywhereElse() {
    TokenPair pair = login(bob);
    Map<String, HttpResponse<Buffer>> answers = new LinkedHashMap<>();
    answers.put("sync/password", auth.postJson(0, "/auth/sync/password",
      new JsonObject().put("userId", bob.userId()).put("passwordVersion", 2), "X-API-Key", AuthFixture.VALIDATE_KEY));
    answers.put("sync/user-deleted", auth.postJson(0, "/auth/sync/user-deleted",
      new JsonObject().put("userId", bob.userId()), "X-API-Key", AuthFixture.VALIDATE_KEY));
    answers.put("admin cache", await(auth.request(0, HttpMethod.GET, "/admin/password-cache")
      .putHeader("X-API-Key", AuthFixture.VALIDATE_KEY).send()));
    // a key that is sent is checked first: even with an admin's bearer token
    answers.put("admin cache + admin bearer", await(auth.request(0, HttpMethod.GET, "/admin/password-cache")
      .putHeader("X-API-Key", AuthFixture.VALIDATE_KEY).bearerTokenAuthentication(pair.accessToken()).send()));
    answers.forEach((what, response) -> {
      assertThat(response.statusCode()).as(what).isEqualTo(401);
      assertThat(response.bodyAsJsonObject().getString("code")).as(what).isEqualTo("invalid_api_key");
    });
    // and the admin's bearer token alone is enough there
    assertThat(await(auth.request(0, HttpMethod.GET, "/admin/password-cache").bearerTokenAuthentication(pair.accessToken()).send())
      .statusCode()).isEqualTo(200);
  }

  @Test
  void forgedTokensAreNeverValidAndNeverAServerError() {
    TokenPair pair = login(bob);
    String[] parts = pair.accessToken().split("\\.");
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    Map<String, String> forged = new LinkedHashMap<>();
    for (String alg : List.of("none", "NONE", "None")) {
      String header = b64.encodeToString(("{\"alg\":\"" + alg + "\",\"typ\":\"JWT\"}").getBytes(StandardCharsets.UTF_8));
      forged.put("alg " + alg, header + "." + parts[1] + ".");
    }
    forged.put("HS256 with the public key", hs256WithPublicKey(parts[1]));
    forged.put("unknown kid", b64.encodeToString("{\"alg\":\"RS256\",\"kid\":\"nope\"}".getBytes(StandardCharsets.UTF_8))
      + "." + parts[1] + "." + parts[2]);
    forged.put("path kid", b64.encodeToString("{\"alg\":\"RS256\",\"kid\":\"../../../../etc/passwd\"}".getBytes(StandardCharsets.UTF_8))
      + "." + parts[1] + "." + parts[2]);
    JsonObject payload = new JsonObject(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8))
      .put("sub", UUID.randomUUID().toString());
    forged.put("tampered payload", parts[0] + "." + b64.encodeToString(payload.encode().getBytes(StandardCharsets.UTF_8)) + "." + parts[2]);
    forged.put("garbage", "garbage");
    forged.put("20 kB", "a".repeat(20_000));
    forged.put("unicode", "\u00e9\u00e9.\u00e9.\u00e9");
    Map<String, String> expectedReason = Map.of("unknown kid", "unknown_key", "path kid", "unknown_key",
      "tampered payload", "invalid_signature", "HS256 with the public key", "invalid_signature", "garbage", "malformed",
      "20 kB", "malformed");

    forged.forEach((what, token) -> {
      HttpResponse<Buffer> validated = validate(token, AuthFixture.VALIDATE_KEY);
      assertThat(validated.statusCode()).as(what).isEqualTo(200);
      assertThat(validated.bodyAsJsonObject().getBoolean("valid")).as(what).isFalse();
      assertThat(validated.bodyAsJsonObject().getString("reason")).as(what)
        .isIn("malformed", "invalid_signature", "unknown_key", "expired", "revoked");
      if (expectedReason.containsKey(what)) {
        assertThat(validated.bodyAsJsonObject().getString("reason")).as(what).isEqualTo(expectedReason.get(what));
      }
      HttpResponse<Buffer> introspected = auth.postJson(0, "/auth/introspect", new JsonObject().put("token", token), "X-API-Key",
        AuthFixture.VALIDATE_KEY);
      assertThat(introspected.bodyAsJsonObject()).as(what).isEqualTo(new JsonObject().put("active", false));
      if (what.equals("20 kB")) {
        return;
      }
      HttpResponse<Buffer> bearer = await(auth.request(0, HttpMethod.GET, "/auth/sessions").putHeader("Authorization", "Bearer " + token).send());
      assertThat(bearer.statusCode()).as(what).isEqualTo(401);
      assertThat(bearer.getHeader("WWW-Authenticate")).as(what).isEqualTo("Bearer");
      assertThat(bearer.bodyAsJsonObject().getString("code")).as(what).isEqualTo("invalid_token");
    });
    assertThat(validate(pair.accessToken(), AuthFixture.VALIDATE_KEY).bodyAsJsonObject().getBoolean("valid")).isTrue();
    // as a header, 20 kB is over the server's 16 KiB header limit: API.md's 431 (the server then closes the
    // connection, so a client of its own)
    WebClient once = WebClient.create(auth.nodes.get(0));
    try {
      HttpResponse<Buffer> huge = await(once.get(auth.module(0).httpPort(), "127.0.0.1", "/auth/sessions")
        .putHeader("Authorization", "Bearer " + forged.get("20 kB")).send());
      assertThat(huge.statusCode()).isEqualTo(431);
    } finally {
      once.close();
    }
  }

  String hs256WithPublicKey(String payload) {
    try {
      byte[] secret = java.nio.file.Files.readAllBytes(auth.keysDir.resolve("jwt-public.pem"));
      String header = Base64.getUrlEncoder().withoutPadding().encodeToString("{\"alg\":\"HS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
      javax.crypto.Mac mac = javax.crypto.Mac.getInstance("HmacSHA256");
      mac.init(new javax.crypto.spec.SecretKeySpec(secret, "HmacSHA256"));
      return header + "." + payload + "." + Base64.getUrlEncoder().withoutPadding()
        .encodeToString(mac.doFinal((header + "." + payload).getBytes(StandardCharsets.US_ASCII)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void anExpiredTokenIsExpiredEverywhere() {
    long past = Instant.now().getEpochSecond() - 10;
    AuthConfig config = auth.config();
    String expired = new AccessTokens(config.jwtKeys(), config.tokens(), Clock.systemUTC()).sign(new AccessClaims(config.tokens().issuer(), "latchkey", bob.userId(),
      UUID.randomUUID().toString(), UUID.randomUUID().toString(), past - 900, past, List.of("user"), "bob", 0));
    assertThat(validate(expired, AuthFixture.FULL_KEY).bodyAsJsonObject())
      .isEqualTo(new JsonObject().put("valid", false).put("reason", "expired"));
    assertThat(auth.postJson(0, "/auth/introspect", new JsonObject().put("token", expired), "X-API-Key", AuthFixture.FULL_KEY)
      .bodyAsJsonObject()).isEqualTo(new JsonObject().put("active", false));
    assertThat(auth.bearer(0, HttpMethod.GET, "/auth/sessions", expired).statusCode()).isEqualTo(401);
  }

  @Test
  void introspectSpeaksRfc7662InJsonAndForm() {
    TokenPair pair = login(bob);
    HttpResponse<Buffer> json = auth.postJson(0, "/auth/introspect", new JsonObject().put("token", pair.accessToken()), "X-API-Key",
      AuthFixture.VALIDATE_KEY);
    MultiMap form = MultiMap.caseInsensitiveMultiMap().add("token", pair.accessToken()).add("token_type_hint", "access_token");
    HttpResponse<Buffer> formAnswer = await(auth.request(0, HttpMethod.POST, "/auth/introspect").putHeader("X-API-Key", AuthFixture.FULL_KEY)
      .sendForm(form));

    for (HttpResponse<Buffer> response : List.of(json, formAnswer)) {
      assertThat(response.statusCode()).isEqualTo(200);
      JsonObject body = response.bodyAsJsonObject();
      assertThat(body.fieldNames()).containsExactlyInAnyOrder("active", "sub", "sid", "username", "roles", "amr", "exp", "iat", "iss",
        "aud", "jti", "token_type");
      assertThat(body.getJsonArray("amr")).containsExactly("pwd");
      assertThat(body.getBoolean("active")).isTrue();
      assertThat(body.getString("sub")).isEqualTo(bob.userId());
      assertThat(body.getString("sid")).isEqualTo(pair.sessionId());
      assertThat(body.getString("token_type")).isEqualTo("Bearer");
      assertThat(body.getLong("exp") - body.getLong("iat")).isEqualTo(900);
      assertThat(body.getString("iss")).as("the issuer defaults to PUBLIC_URL's default").isEqualTo("http://127.0.0.1:8082");
      assertThat(body.getString("aud")).isEqualTo("latchkey");
    }
    HttpResponse<Buffer> inactiveForm = await(auth.request(0, HttpMethod.POST, "/auth/introspect").putHeader("X-API-Key", AuthFixture.FULL_KEY)
      .sendForm(MultiMap.caseInsensitiveMultiMap().add("token", "nope")));
    assertThat(inactiveForm.bodyAsString()).isEqualTo("{\"active\":false}");
    HttpResponse<Buffer> missingForm = await(auth.request(0, HttpMethod.POST, "/auth/introspect").putHeader("X-API-Key", AuthFixture.FULL_KEY)
      .sendForm(MultiMap.caseInsensitiveMultiMap().add("other", "x")));
    assertThat(missingForm.statusCode()).isEqualTo(400);
    assertThat(await(auth.request(0, HttpMethod.POST, "/auth/introspect").sendForm(form)).bodyAsJsonObject().getString("code"))
      .isEqualTo("invalid_api_key");
  }

  @Test
  void validateTokenRefusesBadBodies() {
    HttpResponse<Buffer> missing = auth.postJson(0, "/auth/validate-token", new JsonObject(), "X-API-Key", AuthFixture.FULL_KEY);
    Problems.assertProblem(missing, 400, "validation_failed");
    HttpResponse<Buffer> wrongType = auth.postJson(0, "/auth/validate-token", new JsonObject().put("token", 12), "X-API-Key",
      AuthFixture.FULL_KEY);
    assertThat(wrongType.bodyAsJsonObject().getString("code")).isEqualTo("malformed_request");
    HttpResponse<Buffer> array = await(auth.request(0, HttpMethod.POST, "/auth/validate-token").putHeader("X-API-Key", AuthFixture.FULL_KEY)
      .sendBuffer(Buffer.buffer("[]")));
    assertThat(array.bodyAsJsonObject().getString("code")).isEqualTo("malformed_request");
  }

  @Test
  void theBusEndpointRunsTheSameValidationAndChecksTheSignature() {
    TokenPair pair = login(bob);
    BusAuth signer = new BusAuth(auth.keys);
    JsonObject validBody = new JsonObject().put("token", pair.accessToken());
    DeliveryOptions signed = signer.signRequest(BusAddresses.AUTH_VALIDATE, validBody, "bus-test");
    Message<JsonObject> valid = await(auth.nodes.get(0).eventBus().request(BusAddresses.AUTH_VALIDATE, validBody, signed));
    assertThat(valid.body()).isEqualTo(validate(pair.accessToken(), AuthFixture.FULL_KEY).bodyAsJsonObject());
    assertThat(signer.verifyReply(signed.getHeaders().get(BusAuth.NONCE), valid).ok()).as("the reply is signed for this request").isTrue();
    assertThat(signer.verifyReply("another request's nonce", valid).ok()).as("and for no other").isFalse();
    JsonObject garbage = new JsonObject().put("token", "garbage");
    Message<JsonObject> invalid = await(auth.nodes.get(0).eventBus().request(BusAddresses.AUTH_VALIDATE, garbage,
      signer.signRequest(BusAddresses.AUTH_VALIDATE, garbage, "bus-test")));
    assertThat(invalid.body()).isEqualTo(new JsonObject().put("valid", false).put("reason", "malformed"));

    Throwable unsigned = failure(auth.nodes.get(0).eventBus().request(BusAddresses.AUTH_VALIDATE, new JsonObject().put("token", "x")));
    assertThat(((ReplyException) unsigned).failureCode()).isEqualTo(401);
    JsonObject x = new JsonObject().put("token", "x");
    Throwable plainKey = failure(auth.nodes.get(0).eventBus().request(BusAddresses.AUTH_VALIDATE, x,
      new DeliveryOptions().addHeader("x-api-key", AuthFixture.FULL_KEY)));
    assertThat(((ReplyException) plainKey).failureCode()).as("the key in plain proves nothing").isEqualTo(401);
    BusAuth validateOnly = new BusAuth(new ApiKeys(List.of(AuthFixture.VALIDATE_KEY), List.of(), null));
    Throwable validateKeyOnly = failure(auth.nodes.get(0).eventBus().request(BusAddresses.AUTH_VALIDATE, x,
      validateOnly.signRequest(BusAddresses.AUTH_VALIDATE, x, "bus-test")));
    assertThat(((ReplyException) validateKeyOnly).failureCode()).isEqualTo(401);
    JsonObject tampered = new JsonObject().put("token", "y");
    Throwable otherBody = failure(auth.nodes.get(0).eventBus().request(BusAddresses.AUTH_VALIDATE, tampered,
      signer.signRequest(BusAddresses.AUTH_VALIDATE, x, "bus-test")));
    assertThat(((ReplyException) otherBody).failureCode()).as("a signature over another body").isEqualTo(401);
    JsonObject five = new JsonObject().put("token", 5);
    Throwable notAString = failure(auth.nodes.get(0).eventBus().request(BusAddresses.AUTH_VALIDATE, five,
      signer.signRequest(BusAddresses.AUTH_VALIDATE, five, "bus-test")));
    assertThat(((ReplyException) notAString).failureCode()).isEqualTo(400);
  }

  @Test
  void logoutWithTheBearerTokenRevokesItsSessionAtOnce() {
    TokenPair pair = login(bob);
    HttpResponse<Buffer> logout = auth.bearer(0, HttpMethod.POST, "/auth/logout", pair.accessToken());
    assertThat(logout.statusCode()).isEqualTo(204);
    assertThat(validate(pair.accessToken(), AuthFixture.FULL_KEY).bodyAsJsonObject().getString("reason")).isEqualTo("revoked");
    assertThat(auth.refresh(0, pair.refreshToken()).bodyAsJsonObject()
      .getString("code")).isEqualTo("invalid_refresh_token");
    String reason = auth.revokedReason(pair.sessionId());
    assertThat(reason).isEqualTo("logout");
    HttpResponse<Buffer> again = auth.bearer(0, HttpMethod.POST, "/auth/logout", pair.accessToken());
    Problems.assertProblem(again, 401, "invalid_token");
  }

  @Test
  void logoutWithTheRefreshTokenInTheBody() {
    TokenPair pair = login(bob);
    assertThat(auth.postJson(0, "/auth/logout", new JsonObject().put("refreshToken", pair.refreshToken())).statusCode()).isEqualTo(204);
    assertThat(validate(pair.accessToken(), AuthFixture.FULL_KEY).bodyAsJsonObject().getString("reason")).isEqualTo("revoked");
    HttpResponse<Buffer> again = auth.postJson(0, "/auth/logout", new JsonObject().put("refreshToken", pair.refreshToken()));
    Problems.assertProblem(again, 401, "invalid_refresh_token");
  }

  @Test
  void logoutWithoutCredentialsOrWithABadTokenIs401() {
    HttpResponse<Buffer> none = await(auth.request(0, HttpMethod.POST, "/auth/logout").send());
    Problems.assertProblem(none, 401, "invalid_token");
    assertThat(none.getHeader("WWW-Authenticate")).isEqualTo("Bearer");
    HttpResponse<Buffer> badBearer = auth.bearer(0, HttpMethod.POST, "/auth/logout", "garbage");
    assertThat(badBearer.bodyAsJsonObject().getString("code")).isEqualTo("invalid_token");
    HttpResponse<Buffer> basic = await(auth.request(0, HttpMethod.POST, "/auth/logout").putHeader("Authorization", "Basic Ym9iOng=").send());
    assertThat(basic.statusCode()).isEqualTo(401);
  }

  @Test
  void logoutAllRevokesEverySessionOfTheUserAndCountsThem() {
    Credentials carol = auth.users.add("carol", "carols long password");
    TokenPair one = login(carol);
    TokenPair two = login(carol);
    TokenPair three = login(carol);
    TokenPair bobs = login(bob);

    HttpResponse<Buffer> response = auth.bearer(0, HttpMethod.POST, "/auth/logout-all", two.accessToken());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.bodyAsJsonObject()).isEqualTo(new JsonObject().put("revokedSessions", 3));
    for (TokenPair pair : List.of(one, two, three)) {
      assertThat(validate(pair.accessToken(), AuthFixture.FULL_KEY).bodyAsJsonObject().getString("reason")).isEqualTo("revoked");
    }
    assertThat(validate(bobs.accessToken(), AuthFixture.FULL_KEY).bodyAsJsonObject().getBoolean("valid")).isTrue();
    long active = auth.query("SELECT count(*) AS n FROM auth.sessions WHERE user_id = $1::uuid AND revoked_at IS NULL",
      rows -> rows.iterator().next().getLong("n"), carol.userId());
    assertThat(active).isZero();
    assertThat(await(auth.request(0, HttpMethod.POST, "/auth/logout-all").send()).statusCode()).isEqualTo(401);
  }

  @Test
  void jwksListsTheSigningKey() {
    HttpResponse<Buffer> response = await(auth.request(0, HttpMethod.GET, "/.well-known/jwks.json").send());
    assertThat(response.statusCode()).isEqualTo(200);
    JsonArray keys = response.bodyAsJsonObject().getJsonArray("keys");
    assertThat(keys).hasSize(1);
    JsonObject header = new JsonObject(new String(Base64.getUrlDecoder().decode(login(bob).accessToken().split("\\.")[0]),
      StandardCharsets.UTF_8));
    assertThat(keys.getJsonObject(0).getString("kid")).isEqualTo(header.getString("kid"));
    assertThat(keys.getJsonObject(0).fieldNames()).containsExactlyInAnyOrder("kty", "use", "alg", "kid", "n", "e");
  }

  @Test
  void unknownPathsAndMethodsAreProblems() {
    HttpResponse<Buffer> unknown = await(auth.request(0, HttpMethod.GET, "/auth/nope").send());
    Problems.assertProblem(unknown, 404, "not_found");
    HttpResponse<Buffer> wrongMethod = await(auth.request(0, HttpMethod.GET, "/auth/refresh").send());
    Problems.assertProblem(wrongMethod, 405, "method_not_allowed");
    assertThat(wrongMethod.getHeader("X-Request-Id")).isNotBlank();
  }
}
