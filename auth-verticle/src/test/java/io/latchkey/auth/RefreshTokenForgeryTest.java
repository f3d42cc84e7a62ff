package io.latchkey.auth;

import io.latchkey.auth.session.RefreshTokens;
import io.latchkey.auth.session.TokenPair;
import io.latchkey.auth.testing.AuthFixture;
import io.latchkey.auth.testing.AuthTest;
import io.latchkey.auth.testing.FakeUserService;
import io.latchkey.common.bus.Credentials;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.UUID;

import static io.latchkey.auth.testing.Problems.assertProblem;
import static io.latchkey.common.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Refresh tokens that name a real session but were not issued as they are: a session id is in
 * every access token, so whoever has one can put it in a token of the right shape. Such a token
 * is 401 invalid_refresh_token and ends nothing, not by refresh, logout or revocation; only an
 * authentic older token (its tag made with the secret) is reuse. Node 1 runs with another
 * REFRESH_TOKEN_SECRET, as a node does after the secret was changed.
 */
@AuthTest(nodes = 2, perNode = @AuthTest.NodeSettings(node = 1,
  value = "REFRESH_TOKEN_SECRET=another-refresh-secret-of-at-least-32-bytes"))
class RefreshTokenForgeryTest {

  static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();
  static Credentials mona;

  private final AuthFixture auth;

  RefreshTokenForgeryTest(AuthFixture auth) {
    this.auth = auth;
  }

  @BeforeAll
  static void addUsers(FakeUserService users) {
    mona = users.add("mona", "monas long password");
  }

  /** A session refreshed twice on node 0: its tokens of generations 0, 1 and 2 (current). */
  record Chain(String sessionId, String gen0, String gen1, String gen2) {
  }

  Chain chain() {
    TokenPair login = auth.openSession(0, mona);
    String gen1 = refreshOk(0, login.refreshToken());
    return new Chain(login.sessionId(), login.refreshToken(), gen1, refreshOk(0, gen1));
  }

  String refreshOk(int node, String token) {
    HttpResponse<Buffer> response = auth.refresh(node, token);
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    return response.bodyAsJsonObject().getString("refreshToken");
  }

  /** The session was not revoked, and its current token still refreshes. */
  void assertAlive(Chain chain) {
    assertThat(auth.revokedReason(chain.sessionId())).as("the session is not revoked").isNull();
    assertThat(refreshOk(0, chain.gen2())).hasSize(RefreshTokens.LENGTH);
  }

  /** Token bytes with the given parts; {@code tag} as given (16 bytes), not computed. */
  static String forge(int version, String sessionId, long generation, byte[] random, byte[] tag) {
    UUID id = UUID.fromString(sessionId);
    ByteBuffer bytes = ByteBuffer.allocate(73).put((byte) version).putLong(id.getMostSignificantBits())
      .putLong(id.getLeastSignificantBits()).putLong(generation).put(random).put(tag);
    return B64.encodeToString(bytes.array());
  }

  static byte[] bytes(String token) {
    return Base64.getUrlDecoder().decode(token);
  }

  static String withByte(String token, int index, int xor) {
    byte[] bytes = bytes(token);
    bytes[index] ^= (byte) xor;
    return B64.encodeToString(bytes);
  }

  @Test
  void anOlderGenerationWithAForgedTagIsInvalidAndTheSessionStaysAlive() {
    Chain chain = chain();
    // the holder of an access token knows the session id: generation 0, made-up random part and tag
    String madeUp = forge(1, chain.sessionId(), 0, new byte[32], new byte[16]);
    assertProblem(auth.refresh(0, madeUp), 401, "invalid_refresh_token");
    // the real generation-0 token with one bit of its tag flipped
    assertProblem(auth.refresh(0, withByte(chain.gen0(), 72, 0x01)), 401, "invalid_refresh_token");
    // its random part changed: the tag no longer covers it
    assertProblem(auth.refresh(0, withByte(chain.gen1(), 30, 0x80)), 401, "invalid_refresh_token");
    assertAlive(chain);
  }

  @Test
  void aForgedOlderTokenLogsNothingOutAndRevokesNothing() {
    Chain chain = chain();
    String madeUp = forge(1, chain.sessionId(), 1, new byte[32], new byte[16]);
    assertProblem(auth.postJson(0, "/auth/logout", new JsonObject().put("refreshToken", madeUp)), 401, "invalid_refresh_token");
    HttpResponse<Buffer> revoke = await(auth.request(0, HttpMethod.POST, "/auth/revoke")
      .sendForm(MultiMap.caseInsensitiveMultiMap().add("token", withByte(chain.gen0(), 60, 0x10))));
    assertThat(revoke.statusCode()).as("RFC 7009: the same 200 for any token").isEqualTo(200);
    assertAlive(chain);
  }

  @Test
  void aGenerationAboveTheCurrentOneIsInvalidEvenWithAnAuthenticTag() {
    Chain chain = chain();
    RefreshTokens sameSecret = new RefreshTokens(auth.config(0).refreshTokenSecret());
    // what the server would make of the current token is not a token it has issued yet
    String ahead = sameSecret.successorOf(RefreshTokens.parse(chain.gen2()).orElseThrow());
    String farAhead = sameSecret.successorOf(RefreshTokens.parse(ahead).orElseThrow());
    assertProblem(auth.refresh(0, farAhead), 401, "invalid_refresh_token");
    assertProblem(auth.refresh(0, forge(1, chain.sessionId(), 7, new byte[32], new byte[16])), 401, "invalid_refresh_token");
    assertProblem(auth.postJson(0, "/auth/logout", new JsonObject().put("refreshToken", farAhead)), 401, "invalid_refresh_token");
    assertAlive(chain);
  }

  @Test
  void aTagUnderAnotherSecretIsInvalidAndTheSessionStaysAlive() {
    Chain chain = chain();
    RefreshTokens otherSecret = new RefreshTokens("someone-elses-secret-of-at-least-32-bytes".getBytes(StandardCharsets.UTF_8));
    String minted = otherSecret.newToken(UUID.fromString(chain.sessionId()));
    assertThat(RefreshTokens.parse(minted)).as("well formed, generation 0").isPresent();
    assertProblem(auth.refresh(0, minted), 401, "invalid_refresh_token");
    assertProblem(auth.postJson(0, "/auth/logout", new JsonObject().put("refreshToken", minted)), 401, "invalid_refresh_token");
    assertAlive(chain);
  }

  @Test
  void truncatedGarbledAndMisspelledTokensAreInvalid() {
    Chain chain = chain();
    String current = chain.gen2();
    assertProblem(auth.refresh(0, current.substring(0, RefreshTokens.LENGTH - 1)), 401, "invalid_refresh_token");
    assertProblem(auth.refresh(0, current + "A"), 401, "invalid_refresh_token");
    assertProblem(auth.refresh(0, current.substring(0, 40) + "." + current.substring(41)), 401, "invalid_refresh_token");
    assertProblem(auth.refresh(0, current.substring(0, 40) + "\u00e9" + current.substring(41)), 401, "invalid_refresh_token");
    // the current generation with another random part: its hash is not the session's
    assertProblem(auth.refresh(0, withByte(current, 40, 0x01)), 401, "invalid_refresh_token");
    // the last character carries 4 unused bits: the same bytes spelt differently are not the token
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    char misspelt = alphabet.charAt(alphabet.indexOf(current.charAt(current.length() - 1)) + 1);
    assertThat(bytes(current.substring(0, current.length() - 1) + misspelt)).as("the same bytes").isEqualTo(bytes(current));
    assertThat(RefreshTokens.parse(current.substring(0, current.length() - 1) + misspelt)).as("refused before any SQL").isEmpty();
    assertProblem(auth.refresh(0, current.substring(0, current.length() - 1) + misspelt), 401, "invalid_refresh_token");
    assertAlive(chain);
  }

  @Test
  void anUnknownVersionByteIsInvalid() {
    Chain chain = chain();
    for (int version : new int[] {0x00, 0x02, 0xff}) {
      assertThat(RefreshTokens.parse(withByte(chain.gen2(), 0, 0x01 ^ version))).as("refused before any SQL").isEmpty();
      assertProblem(auth.refresh(0, withByte(chain.gen2(), 0, 0x01 ^ version)), 401, "invalid_refresh_token");
      assertProblem(auth.refresh(0, withByte(chain.gen0(), 0, 0x01 ^ version)), 401, "invalid_refresh_token");
    }
    assertAlive(chain);
  }

  @Test
  void afterASecretChangeTheCurrentTokenStillRefreshesAndOnlyReuseDetectionOfOlderTokensStops() {
    Chain chain = chain();
    // node 1 has another secret: the current token proves itself by its hash
    String gen3 = refreshOk(1, chain.gen2());
    // a retry of a rotation made under node 1's secret gets the same successor there
    assertThat(refreshOk(1, chain.gen2())).isEqualTo(gen3);
    // a token from before the change: its tag does not verify under the new secret, so it is
    // invalid, not reuse, and the session stays
    assertProblem(auth.refresh(1, chain.gen0()), 401, "invalid_refresh_token");
    assertThat(auth.revokedReason(chain.sessionId())).isNull();
    String gen4 = refreshOk(1, gen3);
    // under the secret that made it, the same old token is reuse
    assertProblem(auth.refresh(0, chain.gen0()), 401, "refresh_token_reused");
    assertThat(auth.revokedReason(chain.sessionId())).isEqualTo("refresh_token_reused");
    assertProblem(auth.refresh(1, gen4), 401, "invalid_refresh_token");
  }

  @Test
  void aLogoutWithTheTokenJustRotatedUnderAnotherSecretStillEndsTheSession() {
    Chain chain = chain();
    refreshOk(1, chain.gen2());
    // gen2's tag is node 0's, but its successor (made by node 1) is what the session holds now
    assertThat(auth.postJson(1, "/auth/logout", new JsonObject().put("refreshToken", chain.gen2())).statusCode()).isEqualTo(204);
    assertThat(auth.revokedReason(chain.sessionId())).isEqualTo("logout");
  }
}
