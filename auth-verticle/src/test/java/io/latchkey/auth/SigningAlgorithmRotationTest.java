package io.latchkey.auth;

import io.latchkey.auth.session.TokenPair;
import io.latchkey.auth.testing.AuthFixture;
import io.latchkey.auth.token.JwsAlgorithm;
import io.latchkey.auth.token.JwtKeys;
import io.latchkey.common.bus.Credentials;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import static io.latchkey.common.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A rolling rotation from RS256 to EdDSA in a two-node cluster, caught half way: node 0 still
 * signs with the RSA key and already verifies the new Ed25519 key (step 2 of OPERATING.md
 * "Signing keys and their rotation"), node 1 signs with the Ed25519 key and keeps the RSA key as
 * the previous one (step 3). Every token of either node is valid on both, each node's JWK set
 * and discovery documents publish both keys (its signing algorithm first), and a token relabelled
 * with the other algorithm is refused over HTTP as in the unit tests.
 */
class SigningAlgorithmRotationTest {

  @TempDir
  static Path keys;
  static AuthFixture auth;
  static Credentials ann;

  @BeforeAll
  static void start() {
    for (JwsAlgorithm algorithm : JwsAlgorithm.values()) {
      JwtKeys.generateDevelopmentKeys(algorithm, keys);
    }
    auth = AuthFixture.start(2, Map.of(), Map.of(
      0, Map.of("JWT_ALGORITHM", "RS256", "JWT_PRIVATE_KEY_FILE", file(JwsAlgorithm.RS256.privateFile()),
        "JWT_PUBLIC_KEY_FILES", file(JwsAlgorithm.EDDSA.publicFile())),
      1, Map.of("JWT_ALGORITHM", "EdDSA", "JWT_PRIVATE_KEY_FILE", file(JwsAlgorithm.EDDSA.privateFile()),
        "JWT_PUBLIC_KEY_FILES", file(JwsAlgorithm.RS256.publicFile()))));
    ann = auth.users.add("ann", "ann long password");
  }

  @AfterAll
  static void stop() {
    if (auth != null) {
      auth.close();
    }
  }

  static String file(String name) {
    return keys.resolve(name).toString();
  }

  @Test
  void eachNodeSignsWithItsAlgorithmAndBothNodesAcceptEitherToken() {
    TokenPair rs256 = auth.openSession(0, ann);
    TokenPair eddsa = auth.openSession(1, ann);
    assertThat(part(rs256.accessToken(), 0).getString("alg")).isEqualTo("RS256");
    assertThat(part(eddsa.accessToken(), 0).getString("alg")).isEqualTo("EdDSA");
    assertThat(part(eddsa.accessToken(), 0).getString("kid")).isNotEqualTo(part(rs256.accessToken(), 0).getString("kid"));
    for (int node = 0; node < 2; node++) {
      assertThat(auth.validity(node, rs256.accessToken())).as("RS256 token on node " + node).isEqualTo("valid");
      assertThat(auth.validity(node, eddsa.accessToken())).as("EdDSA token on node " + node).isEqualTo("valid");
      assertThat(auth.bearer(node, HttpMethod.GET, "/auth/me", eddsa.accessToken()).statusCode()).isEqualTo(200);
    }
    // the session opened under RS256 is refreshed on the EdDSA node: its next access token is EdDSA
    HttpResponse<Buffer> refreshed = auth.refresh(1, rs256.refreshToken());
    assertThat(refreshed.statusCode()).as(refreshed.bodyAsString()).isEqualTo(200);
    String next = refreshed.bodyAsJsonObject().getString("accessToken");
    assertThat(part(next, 0).getString("alg")).isEqualTo("EdDSA");
    assertThat(auth.validity(0, next)).isEqualTo("valid");
  }

  @Test
  void eachNodePublishesBothKeysAndNamesItsSigningAlgorithmFirst() {
    for (int node = 0; node < 2; node++) {
      String signing = node == 0 ? "RS256" : "EdDSA";
      String previous = node == 0 ? "EdDSA" : "RS256";
      JsonArray jwks = get(node, "/.well-known/jwks.json").getJsonArray("keys");
      assertThat(jwks.stream().map(k -> ((JsonObject) k).getString("alg"))).as("node " + node).containsExactly(signing, previous);
      JsonObject okp = jwks.stream().map(JsonObject.class::cast).filter(k -> "OKP".equals(k.getString("kty"))).findFirst().orElseThrow();
      assertThat(okp.fieldNames()).containsExactlyInAnyOrder("kty", "crv", "x", "kid", "alg", "use");
      assertThat(okp.getString("crv")).isEqualTo("Ed25519");
      assertThat(okp.getString("use")).isEqualTo("sig");
      assertThat(Base64.getUrlDecoder().decode(okp.getString("x"))).hasSize(32);
      assertThat(get(node, "/.well-known/openid-configuration").getJsonArray("id_token_signing_alg_values_supported"))
        .containsExactly(signing, previous);
    }
  }

  @Test
  void anEdDsaTokenRelabelledWithAnotherAlgorithmIsRefusedOverHttp() {
    String token = auth.openSession(1, ann).accessToken();
    String[] parts = token.split("\\.");
    for (String alg : List.of("RS256", "HS256", "none", "eddsa", "Ed25519")) {
      JsonObject header = part(token, 0).put("alg", alg);
      String forged = Base64.getUrlEncoder().withoutPadding().encodeToString(header.encode().getBytes(StandardCharsets.UTF_8))
        + "." + parts[1] + "." + parts[2];
      for (int node = 0; node < 2; node++) {
        assertThat(auth.validity(node, forged)).as(alg + " on node " + node).isEqualTo("invalid_signature");
        assertThat(auth.bearer(node, HttpMethod.GET, "/auth/me", forged).statusCode()).isEqualTo(401);
      }
    }
  }

  private static JsonObject get(int node, String path) {
    HttpResponse<Buffer> response = await(auth.request(node, HttpMethod.GET, path).send());
    assertThat(response.statusCode()).isEqualTo(200);
    return response.bodyAsJsonObject();
  }

  private static JsonObject part(String jwt, int index) {
    return new JsonObject(new String(Base64.getUrlDecoder().decode(jwt.split("\\.")[index]), StandardCharsets.UTF_8));
  }
}
