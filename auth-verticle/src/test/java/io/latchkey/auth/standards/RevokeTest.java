package io.latchkey.auth.standards;

import io.latchkey.auth.AuthConfig;
import io.latchkey.auth.session.TokenPair;
import io.latchkey.auth.testing.AuthFixture;
import io.latchkey.auth.testing.AuthTest;
import io.latchkey.auth.testing.FakeUserService;
import io.latchkey.auth.testing.Problems;
import io.latchkey.auth.token.AccessClaims;
import io.latchkey.auth.token.AccessTokens;
import io.latchkey.common.ErrorCodes;
import io.latchkey.common.bus.Credentials;
import io.latchkey.common.testing.Await;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

import static io.latchkey.common.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * POST /auth/revoke (RFC 7009) on two auth nodes of one cluster: a refresh or an access token
 * ends its session everywhere, as a logout does; every token that is not one of ours, or not
 * alive, gets the same empty 200 and ends nothing; a request that is not a revocation request
 * is 400 invalid_request.
 */
@AuthTest(nodes = 2)
class RevokeTest {

  /** Generous for a loaded CI machine (the revocation reaches the other node in milliseconds). */
  private static final long PROPAGATION_BOUND_MS = 2000;
  static Credentials jade;

  private final AuthFixture auth;

  RevokeTest(AuthFixture auth) {
    this.auth = auth;
  }

  @BeforeAll
  static void addUsers(FakeUserService users) {
    jade = users.add("jade", "jades long password");
  }

  HttpResponse<Buffer> revoke(int node, String token, String hint) {
    MultiMap form = MultiMap.caseInsensitiveMultiMap().add("token", token);
    if (hint != null) {
      form.add("token_type_hint", hint);
    }
    return await(auth.request(node, HttpMethod.POST, "/auth/revoke").sendForm(form));
  }

  HttpResponse<Buffer> revokeRaw(String contentType, String body) {
    return await(auth.request(0, HttpMethod.POST, "/auth/revoke").putHeader("Content-Type", contentType).sendBuffer(Buffer.buffer(body)));
  }

  static void assertEmpty200(HttpResponse<Buffer> response) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    assertThat(response.body() == null ? 0 : response.body().length()).as("an empty body").isZero();
    assertThat(response.getHeader("Cache-Control")).isEqualTo("no-store");
  }

  Future<String> validity(int node, String token) {
    return auth.request(node, HttpMethod.POST, "/auth/validate-token").putHeader("X-API-Key", AuthFixture.FULL_KEY)
      .sendJsonObject(new JsonObject().put("token", token))
      .map(r -> r.bodyAsJsonObject().getBoolean("valid") ? "valid" : r.bodyAsJsonObject().getString("reason"));
  }

  void assertRevokedOnBothNodes(String accessToken, int revokingNode) {
    assertThat(await(validity(revokingNode, accessToken))).as("at once on the node that revoked").isEqualTo("revoked");
    int other = 1 - revokingNode;
    assertThat(Await.until(auth.nodes.get(other), () -> validity(other, accessToken).map("revoked"::equals), PROPAGATION_BOUND_MS))
      .as("revoked on node " + other + " within " + PROPAGATION_BOUND_MS + " ms").isTrue();
  }

  TokenPair sessionValidOnBothNodes() {
    TokenPair pair = auth.openSession(0, jade);
    assertThat(await(validity(0, pair.accessToken()))).isEqualTo("valid");
    assertThat(await(validity(1, pair.accessToken()))).as("valid on node 1 first (and remembered there)").isEqualTo("valid");
    return pair;
  }

  @Test
  void aRefreshTokenEndsItsSessionOnBothNodes() {
    TokenPair pair = sessionValidOnBothNodes();
    assertEmpty200(revoke(0, pair.refreshToken(), "refresh_token"));
    assertRevokedOnBothNodes(pair.accessToken(), 0);
    Problems.assertProblem(auth.refresh(1, pair.refreshToken()), 401, ErrorCodes.INVALID_REFRESH_TOKEN);
    assertThat(auth.liveSessionIds(jade.userId())).doesNotContain(pair.sessionId());
  }

  @Test
  void anAccessTokenEndsItsSessionOnBothNodes() {
    TokenPair pair = sessionValidOnBothNodes();
    assertEmpty200(revoke(1, pair.accessToken(), "access_token"));
    assertRevokedOnBothNodes(pair.accessToken(), 1);
    Problems.assertProblem(auth.refresh(0, pair.refreshToken()), 401, ErrorCodes.INVALID_REFRESH_TOKEN);
    assertThat(auth.liveSessionIds(jade.userId())).doesNotContain(pair.sessionId());
  }

  @Test
  void theHintIsOnlyAHint() {
    TokenPair byRefresh = sessionValidOnBothNodes();
    assertEmpty200(revoke(0, byRefresh.refreshToken(), "access_token"));
    assertRevokedOnBothNodes(byRefresh.accessToken(), 0);

    TokenPair byAccess = sessionValidOnBothNodes();
    assertEmpty200(revoke(0, byAccess.accessToken(), "something_else"));
    assertRevokedOnBothNodes(byAccess.accessToken(), 0);
  }

  @Test
  void aRotatedRefreshTokenStillEndsItsSession() {
    TokenPair first = auth.openSession(0, jade);
    HttpResponse<Buffer> rotated = auth.refresh(0, first.refreshToken());
    assertThat(rotated.statusCode()).isEqualTo(200);
    String newAccess = rotated.bodyAsJsonObject().getString("accessToken");
    assertEmpty200(revoke(1, first.refreshToken(), null));
    assertRevokedOnBothNodes(newAccess, 1);
  }

  @Test
  void tokensThatAreNotAliveGetTheSameEmpty200AndEndNothing() {
    TokenPair victim = sessionValidOnBothNodes();
    TokenPair other = auth.openSession(0, jade);
    AuthConfig config = auth.config();
    long now = Instant.now().getEpochSecond();
    String expired = new AccessTokens(config.jwtKeys(), config.tokens(), Clock.systemUTC()).sign(new AccessClaims(
      config.tokens().issuer(), config.tokens().audience(), jade.userId(), victim.sessionId(), UUID.randomUUID().toString(),
      now - 1000, now - 100, List.of("user"), "jade", 0));
    // the victim's session id in a payload under the signature of another token
    String[] parts = other.accessToken().split("\\.");
    JsonObject payload = new JsonObject(new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8))
      .put("sid", victim.sessionId());
    String forged = parts[0] + "." + Base64.getUrlEncoder().withoutPadding()
      .encodeToString(payload.encode().getBytes(StandardCharsets.UTF_8)) + "." + parts[2];
    byte[] random = new byte[32];
    new SecureRandom().nextBytes(random);
    String unknownRefresh = Base64.getUrlEncoder().withoutPadding().encodeToString(random);

    for (String token : List.of("garbage", "a.b.c", unknownRefresh, expired, forged, "x".repeat(9000))) {
      assertEmpty200(revoke(0, token, null));
      assertEmpty200(revoke(1, token, "refresh_token"));
    }
    assertThat(await(validity(0, victim.accessToken()))).as("a forged or expired token ended nothing").isEqualTo("valid");
    assertThat(await(validity(1, victim.accessToken()))).isEqualTo("valid");
    assertThat(auth.liveSessionIds(jade.userId())).contains(victim.sessionId(), other.sessionId());

    // already revoked: the same answer again
    assertEmpty200(revoke(0, victim.refreshToken(), null));
    assertEmpty200(revoke(0, victim.refreshToken(), null));
    assertEmpty200(revoke(1, victim.accessToken(), null));
    assertRevokedOnBothNodes(victim.accessToken(), 0);
  }

  @Test
  void aRequestThatIsNotARevocationRequestIs400InvalidRequest() {
    TokenPair pair = sessionValidOnBothNodes();
    String form = "application/x-www-form-urlencoded";
    for (String body : List.of("", "token=", "token_type_hint=refresh_token", "tokens=" + pair.refreshToken(),
      "token=" + pair.refreshToken() + "&token=" + pair.refreshToken(),
      "token=" + pair.refreshToken() + "&token_type_hint=refresh_token&token_type_hint=access_token")) {
      Problems.assertProblem(revokeRaw(form, body), 400, ErrorCodes.INVALID_REQUEST);
    }
    // a body that is no form at all may be refused by the HTTP layer before the route reads it
    // (malformed_request, as on every endpoint), else by the route's strict reader
    for (String body : List.of("token=" + pair.refreshToken() + "%zz", "token=" + pair.refreshToken() + "%C3%28")) {
      HttpResponse<Buffer> response = revokeRaw(form, body);
      assertThat(response.statusCode()).isEqualTo(400);
      assertThat(response.bodyAsJsonObject().getString("code")).isIn(ErrorCodes.INVALID_REQUEST, ErrorCodes.MALFORMED_REQUEST);
    }
    HttpResponse<Buffer> json = revokeRaw("application/json", new JsonObject().put("token", pair.refreshToken()).encode());
    Problems.assertProblem(json, 400, ErrorCodes.INVALID_REQUEST);
    assertThat(json.getHeader("Content-Type")).startsWith("application/problem+json");
    Problems.assertProblem(await(auth.request(0, HttpMethod.POST, "/auth/revoke").send()), 400, ErrorCodes.INVALID_REQUEST);
    assertThat(await(validity(0, pair.accessToken()))).as("none of these ended the session").isEqualTo("valid");
  }
}
