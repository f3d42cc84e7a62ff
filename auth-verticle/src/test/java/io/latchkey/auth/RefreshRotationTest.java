package io.latchkey.auth;

import io.latchkey.auth.testing.AuthFixture;
import io.latchkey.auth.testing.AuthTest;
import io.latchkey.auth.testing.Problems;
import io.latchkey.auth.testing.FakeUserService;
import io.latchkey.auth.session.TokenPair;
import io.latchkey.common.bus.Credentials;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static io.latchkey.common.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

/** POST /auth/refresh: rotation, the retry grace, reuse detection, expiry, concurrency. */
@AuthTest
class RefreshRotationTest {

  static Credentials alice;

  private final AuthFixture auth;

  RefreshRotationTest(AuthFixture auth) {
    this.auth = auth;
  }

  @BeforeAll
  static void addUsers(FakeUserService users) {
    alice = users.add("alice", "correct horse battery");
  }

  TokenPair login() {
    return auth.openSession(0, alice);
  }

  HttpResponse<Buffer> refresh(String refreshToken) {
    return auth.refresh(0, refreshToken);
  }

  boolean sessionRevoked(String sessionId) {
    return auth.query("SELECT revoked_at IS NOT NULL AS revoked FROM auth.sessions WHERE id = $1::uuid",
      rows -> rows.iterator().next().getBoolean("revoked"), sessionId);
  }

  long generation(String sessionId) {
    return auth.query("SELECT refresh_generation FROM auth.sessions WHERE id = $1::uuid",
      rows -> rows.iterator().next().getLong("refresh_generation"), sessionId);
  }

  String validate(String accessToken) {
    return auth.validity(0, accessToken);
  }

  @Test
  void aRefreshReturnsANewPairAndRetiresThePresentedToken() {
    TokenPair first = login();

    HttpResponse<Buffer> response = refresh(first.refreshToken());

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.getHeader("Cache-Control")).isEqualTo("no-store");
    JsonObject pair = response.bodyAsJsonObject();
    assertThat(pair.fieldNames()).containsExactlyInAnyOrder("accessToken", "refreshToken", "tokenType", "expiresIn",
      "refreshExpiresIn", "sessionId");
    assertThat(pair.getString("tokenType")).isEqualTo("Bearer");
    assertThat(pair.getString("sessionId")).isEqualTo(first.sessionId());
    assertThat(pair.getString("refreshToken")).isNotEqualTo(first.refreshToken()).hasSize(98).matches("[A-Za-z0-9_-]+");
    assertThat(pair.getString("accessToken")).isNotEqualTo(first.accessToken());
    assertThat(pair.getLong("expiresIn")).isBetween(890L, 900L);
    assertThat(pair.getLong("refreshExpiresIn")).isBetween(30L * 86400 - 10, 30L * 86400);
    assertThat(validate(pair.getString("accessToken"))).isEqualTo("valid");
    // only hashes are stored: neither token appears in the database
    long clear = auth.query("SELECT count(*) AS n FROM auth.sessions WHERE encode(current_hash, 'escape') LIKE '%' || $1 || '%'",
      rows -> rows.iterator().next().getLong("n"), pair.getString("refreshToken"));
    assertThat(clear).isZero();
    // the rotation is the session's generation: no row is added anywhere
    assertThat(generation(first.sessionId())).isEqualTo(1);
    long retired = auth.query("SELECT count(*) AS n FROM auth.retired_refresh_tokens", rows -> rows.iterator().next().getLong("n"));
    assertThat(retired).isZero();
  }

  @Test
  void tenConcurrentRefreshesWithOneTokenProduceOneSuccessorThatAllOfThemGet() {
    TokenPair first = login();
    List<HttpResponse<Buffer>> answers = auth.refreshAtOnce(0, first.refreshToken(), 10);

    Set<String> successors = new HashSet<>();
    for (HttpResponse<Buffer> answer : answers) {
      assertThat(answer.statusCode()).as(answer.bodyAsString()).isEqualTo(200);
      successors.add(answer.bodyAsJsonObject().getString("refreshToken"));
    }
    assertThat(successors).hasSize(1);
    assertThat(generation(first.sessionId())).as("exactly one rotation happened").isEqualTo(1);
    assertThat(sessionRevoked(first.sessionId())).isFalse();
    // and the successor is the one that works next
    assertThat(refresh(successors.iterator().next()).statusCode()).isEqualTo(200);
  }

  @Test
  void aRetryInsideTheGraceGetsTheSameSuccessor() {
    TokenPair first = login();
    String successor = refresh(first.refreshToken()).bodyAsJsonObject().getString("refreshToken");

    HttpResponse<Buffer> retry = refresh(first.refreshToken());

    assertThat(retry.statusCode()).isEqualTo(200);
    assertThat(retry.bodyAsJsonObject().getString("refreshToken")).isEqualTo(successor);
    assertThat(validate(retry.bodyAsJsonObject().getString("accessToken"))).isEqualTo("valid");
    assertThat(sessionRevoked(first.sessionId())).isFalse();
  }

  @Test
  void theJustRotatedTokenAfterTheGraceIsReuseAndRevokesTheSession() {
    TokenPair first = login();
    JsonObject second = refresh(first.refreshToken()).bodyAsJsonObject();
    // the grace (10 s) has passed for this token
    auth.query("UPDATE auth.sessions SET rotated_at = rotated_at - interval '11 seconds' WHERE id = $1::uuid",
      rows -> rows.rowCount(), first.sessionId());

    HttpResponse<Buffer> reuse = refresh(first.refreshToken());

    Problems.assertProblem(reuse, 401, "refresh_token_reused");
    assertThat(reuse.getHeader("Content-Type")).isEqualTo("application/problem+json");
    assertThat(sessionRevoked(first.sessionId())).isTrue();
    assertThat(validate(second.getString("accessToken"))).as("the session's access tokens die with it").isEqualTo("revoked");
    assertThat(validate(first.accessToken())).isEqualTo("revoked");
    HttpResponse<Buffer> legitimate = refresh(second.getString("refreshToken"));
    Problems.assertProblem(legitimate, 401, "invalid_refresh_token");
  }

  @Test
  void anOlderTokenOfTheSessionIsReuseEvenInsideTheGrace() {
    TokenPair first = login();
    String second = refresh(first.refreshToken()).bodyAsJsonObject().getString("refreshToken");
    String third = refresh(second).bodyAsJsonObject().getString("refreshToken");

    HttpResponse<Buffer> reuse = refresh(first.refreshToken());

    Problems.assertProblem(reuse, 401, "refresh_token_reused");
    assertThat(sessionRevoked(first.sessionId())).isTrue();
    assertThat(refresh(third).bodyAsJsonObject().getString("code")).isEqualTo("invalid_refresh_token");
  }

  @Test
  void unknownMalformedAndMissingRefreshTokens() {
    HttpResponse<Buffer> unknown = refresh("A".repeat(43));
    Problems.assertProblem(unknown, 401, "invalid_refresh_token");
    assertThat(refresh("not a token").bodyAsJsonObject().getString("code")).isEqualTo("invalid_refresh_token");

    HttpResponse<Buffer> missing = auth.postJson(0, "/auth/refresh", new JsonObject());
    Problems.assertProblem(missing, 400, "validation_failed");
    HttpResponse<Buffer> extra = auth.postJson(0, "/auth/refresh", new JsonObject().put("refreshToken", "x").put("userId", "y"));
    assertThat(extra.bodyAsJsonObject().getString("code")).isEqualTo("validation_failed");
    HttpResponse<Buffer> wrongType = auth.postJson(0, "/auth/refresh", new JsonObject().put("refreshToken", 42));
    Problems.assertProblem(wrongType, 400, "malformed_request");
    HttpResponse<Buffer> notJson = await(auth.request(0, HttpMethod.POST, "/auth/refresh").sendBuffer(Buffer.buffer("{nope")));
    assertThat(notJson.bodyAsJsonObject().getString("code")).isEqualTo("malformed_request");
  }

  @Test
  void anExpiredRefreshTokenOrSessionIsInvalid() {
    TokenPair slidingOver = login();
    auth.query("UPDATE auth.sessions SET refresh_expires_at = now() - interval '1 second' WHERE id = $1::uuid",
      rows -> rows.rowCount(), slidingOver.sessionId());
    assertThat(refresh(slidingOver.refreshToken()).bodyAsJsonObject().getString("code")).isEqualTo("invalid_refresh_token");

    TokenPair absoluteOver = login();
    auth.query("UPDATE auth.sessions SET expires_at = now() - interval '1 second' WHERE id = $1::uuid",
      rows -> rows.rowCount(), absoluteOver.sessionId());
    assertThat(refresh(absoluteOver.refreshToken()).bodyAsJsonObject().getString("code")).isEqualTo("invalid_refresh_token");
  }

  @Test
  void theSlidingLifetimeNeverPassesTheAbsoluteOne() {
    TokenPair pair = login();
    auth.query("UPDATE auth.sessions SET expires_at = now() + interval '1 hour' WHERE id = $1::uuid",
      rows -> rows.rowCount(), pair.sessionId());
    JsonObject next = refresh(pair.refreshToken()).bodyAsJsonObject();
    assertThat(next.getLong("refreshExpiresIn")).isBetween(3590L, 3600L);
  }

  @Test
  void aRefreshNeedsNoUserService() {
    TokenPair pair = login();
    await(auth.users.stop());
    try {
      HttpResponse<Buffer> response = refresh(pair.refreshToken());
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(validate(response.bodyAsJsonObject().getString("accessToken"))).isEqualTo("valid");
    } finally {
      await(auth.users.start());
    }
  }
}
