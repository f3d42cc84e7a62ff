package io.latchkey.auth.standards;

import io.latchkey.auth.http.DiscoveryRoutes;
import io.latchkey.auth.session.TokenPair;
import io.latchkey.auth.testing.AuthFixture;
import io.latchkey.auth.testing.AuthTest;
import io.latchkey.auth.testing.FakeUserService;
import io.latchkey.auth.testing.Problems;
import io.latchkey.common.ErrorCodes;
import io.latchkey.common.bus.Credentials;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

import static io.latchkey.common.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The discovery documents (OpenID Connect Discovery, RFC 8414) built from PUBLIC_URL, whose
 * issuer is the tokens' iss, and POST /auth/introspect with {@code Authorization: Basic} as stock
 * RFC 7662 clients send it.
 */
@AuthTest(settings = "PUBLIC_URL=https://auth.example.test/lk")
class DiscoveryAndBasicIntrospectionTest {

  static final String PUBLIC_URL = "https://auth.example.test/lk";
  static final String CHALLENGE = "Basic realm=\"latchkey\"";
  static Credentials iris;

  private final AuthFixture auth;

  DiscoveryAndBasicIntrospectionTest(AuthFixture auth) {
    this.auth = auth;
  }

  @BeforeAll
  static void addUsers(FakeUserService users) {
    iris = users.add("iris", "iris long password");
  }

  HttpResponse<Buffer> get(String path) {
    return await(auth.request(0, HttpMethod.GET, path).send());
  }

  static JsonObject part(String jwt, int index) {
    return new JsonObject(new String(Base64.getUrlDecoder().decode(jwt.split("\\.")[index]), StandardCharsets.UTF_8));
  }

  // ---- discovery

  @Test
  void bothDocumentsAreTheSameJsonWithEveryFieldBuiltFromThePublicUrl() {
    HttpResponse<Buffer> openid = get("/.well-known/openid-configuration");
    HttpResponse<Buffer> rfc8414 = get("/.well-known/oauth-authorization-server");
    for (HttpResponse<Buffer> response : List.of(openid, rfc8414)) {
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.getHeader("Content-Type")).startsWith("application/json");
      assertThat(response.getHeader("Cache-Control")).isEqualTo("public, max-age=300");
    }
    assertThat(rfc8414.bodyAsJsonObject()).isEqualTo(openid.bodyAsJsonObject());

    String algorithm = auth.config().jwtKeys().signingAlgorithm();
    assertThat(algorithm).isEqualTo("RS256");
    assertThat(openid.bodyAsJsonObject()).isEqualTo(new JsonObject()
      .put("issuer", PUBLIC_URL)
      .put("jwks_uri", PUBLIC_URL + "/.well-known/jwks.json")
      .put("introspection_endpoint", PUBLIC_URL + "/auth/introspect")
      .put("introspection_endpoint_auth_methods_supported", new JsonArray().add("client_secret_basic").add("x_api_key"))
      .put("revocation_endpoint", PUBLIC_URL + "/auth/revoke")
      .put("revocation_endpoint_auth_methods_supported", new JsonArray().add("none"))
      .put("id_token_signing_alg_values_supported", new JsonArray().add(algorithm))
      .put("subject_types_supported", new JsonArray().add("public"))
      .put("response_types_supported", new JsonArray())
      .put("grant_types_supported", new JsonArray()));
  }

  @Test
  void theIssuerIsTheIssOfAFreshTokenAndTheJwksUriHoldsItsKey() {
    JsonObject document = get("/.well-known/openid-configuration").bodyAsJsonObject();
    TokenPair pair = auth.openSession(0, iris);
    JsonObject header = part(pair.accessToken(), 0);
    assertThat(part(pair.accessToken(), 1).getString("iss")).isEqualTo(document.getString("issuer"));
    assertThat(header.getString("alg")).isIn(document.getJsonArray("id_token_signing_alg_values_supported").getList());

    String jwksUri = document.getString("jwks_uri");
    assertThat(jwksUri).startsWith(PUBLIC_URL);
    JsonArray keys = get(jwksUri.substring(PUBLIC_URL.length())).bodyAsJsonObject().getJsonArray("keys");
    assertThat(keys.stream().map(k -> (JsonObject) k).filter(k -> k.getString("kid").equals(header.getString("kid"))))
      .singleElement().satisfies(k -> assertThat(k.getString("alg")).isEqualTo(header.getString("alg")));

    HttpResponse<Buffer> introspection = await(auth.request(0, HttpMethod.POST, "/auth/introspect")
      .putHeader("Authorization", basic("resource-server", AuthFixture.VALIDATE_KEY))
      .sendForm(MultiMap.caseInsensitiveMultiMap().add("token", pair.accessToken())));
    assertThat(introspection.bodyAsJsonObject().getString("iss")).isEqualTo(document.getString("issuer"));
  }

  @Test
  void urlsAreJoinedToAPublicUrlWithATrailingSlashWithoutADoubleSlash() {
    JsonObject document = DiscoveryRoutes.document("http://h:1/", "http://h:1/", List.of("RS256"));
    assertThat(document.getString("issuer")).as("the issuer is kept as written").isEqualTo("http://h:1/");
    assertThat(document.getString("jwks_uri")).isEqualTo("http://h:1/.well-known/jwks.json");
    assertThat(document.getString("revocation_endpoint")).isEqualTo("http://h:1/auth/revoke");
  }

  // ---- introspection with Authorization: Basic

  static String basic(String clientId, String secret) {
    return "Basic " + Base64.getEncoder().encodeToString((clientId + ":" + secret).getBytes(StandardCharsets.UTF_8));
  }

  HttpResponse<Buffer> introspect(String token, String... headers) {
    HttpRequest<Buffer> request = auth.request(0, HttpMethod.POST, "/auth/introspect");
    for (int i = 0; i < headers.length; i += 2) {
      request.putHeader(headers[i], headers[i + 1]);
    }
    return await(request.sendForm(MultiMap.caseInsensitiveMultiMap().add("token", token)));
  }

  static void assertRefused(HttpResponse<Buffer> response) {
    Problems.assertProblem(response, 401, ErrorCodes.INVALID_API_KEY);
    assertThat(response.getHeader("WWW-Authenticate")).isEqualTo(CHALLENGE);
  }

  @Test
  void basicWithAValidateOnlyOrAFullKeyAsTheSecretIntrospects() {
    TokenPair pair = auth.openSession(0, iris);
    for (String key : List.of(AuthFixture.VALIDATE_KEY, AuthFixture.FULL_KEY)) {
      for (String clientId : List.of("resource-server", "", "any+client%20id")) {
        HttpResponse<Buffer> response = introspect(pair.accessToken(), "Authorization", basic(clientId, key));
        assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
        assertThat(response.bodyAsJsonObject().getBoolean("active")).isTrue();
        assertThat(response.bodyAsJsonObject().getString("sid")).isEqualTo(pair.sessionId());
      }
    }
    for (String notOurs : List.of("not-a-token", "x".repeat(9000))) {
      HttpResponse<Buffer> response = introspect(notOurs, "Authorization", basic("rs", AuthFixture.VALIDATE_KEY));
      assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
      assertThat(response.bodyAsJsonObject()).isEqualTo(new JsonObject().put("active", false));
    }
  }

  @Test
  void aWrongBasicSecretIs401WithTheBasicChallenge() {
    TokenPair pair = auth.openSession(0, iris);
    assertRefused(introspect(pair.accessToken(), "Authorization", basic("resource-server", "a-wrong-key")));
    assertRefused(introspect(pair.accessToken(), "Authorization", basic(AuthFixture.VALIDATE_KEY, "")));
    assertRefused(introspect(pair.accessToken(), "Authorization", basic("resource-server", AuthFixture.VALIDATE_KEY + "x")));
    assertRefused(introspect(pair.accessToken()));
    assertRefused(introspect(pair.accessToken(), "Authorization", "Bearer " + pair.accessToken()));
  }

  @Test
  void aMalformedBasicHeaderIs401() {
    TokenPair pair = auth.openSession(0, iris);
    String noColon = Base64.getEncoder().encodeToString(AuthFixture.VALIDATE_KEY.getBytes(StandardCharsets.UTF_8));
    String notUtf8 = Base64.getEncoder().encodeToString(new byte[]{'r', 's', ':', (byte) 0xC3, (byte) 0x28});
    for (String header : List.of("Basic", "Basic ", "Basic !!!not-base64!!!", "Basic " + noColon, "Basic " + notUtf8,
      "Basic " + noColon + "==extra")) {
      assertRefused(introspect(pair.accessToken(), "Authorization", header));
    }
    // two Authorization lines, each good on its own
    MultiMap two = MultiMap.caseInsensitiveMultiMap()
      .add("Authorization", basic("a", AuthFixture.VALIDATE_KEY)).add("Authorization", basic("b", AuthFixture.VALIDATE_KEY));
    assertRefused(await(auth.request(0, HttpMethod.POST, "/auth/introspect").putHeaders(two)
      .sendForm(MultiMap.caseInsensitiveMultiMap().add("token", pair.accessToken()))));
  }

  @Test
  void whenBothAreSentTheApiKeyIsCheckedFirstAndDecides() {
    TokenPair pair = auth.openSession(0, iris);
    assertRefused(introspect(pair.accessToken(), "X-API-Key", "a-wrong-key", "Authorization", basic("rs", AuthFixture.VALIDATE_KEY)));
    HttpResponse<Buffer> keyDecides = introspect(pair.accessToken(), "X-API-Key", AuthFixture.VALIDATE_KEY,
      "Authorization", basic("rs", "a-wrong-key"));
    assertThat(keyDecides.statusCode()).isEqualTo(200);
    assertThat(keyDecides.bodyAsJsonObject().getBoolean("active")).isTrue();
  }

  @Test
  void validateTokenStillTakesOnlyTheApiKey() {
    TokenPair pair = auth.openSession(0, iris);
    HttpResponse<Buffer> response = await(auth.request(0, HttpMethod.POST, "/auth/validate-token")
      .putHeader("Authorization", basic("rs", AuthFixture.FULL_KEY))
      .sendJsonObject(new JsonObject().put("token", pair.accessToken())));
    Problems.assertProblem(response, 401, ErrorCodes.INVALID_API_KEY);
  }
}
