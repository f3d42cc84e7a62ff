package io.latchkey.auth;

import io.latchkey.auth.testing.AuthFixture;
import io.latchkey.auth.testing.AuthTest;
import io.latchkey.auth.testing.Problems;
import io.latchkey.auth.session.TokenPair;
import io.latchkey.common.audit.AuditTrail;
import io.latchkey.common.bus.Credentials;
import io.latchkey.common.retention.RetentionJob;
import io.latchkey.common.retention.RetentionRule;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.sqlclient.Tuple;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.latchkey.common.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What the login and sync side calls ({@code Sessions}): password-version revocation, user
 * deletion, roles-change invalidation with the user service up and down; plus the cleanup, and
 * a module with the refresh grace turned off.
 */
@AuthTest(settings = "REFRESH_GRACE_SECONDS=0")
class SessionsSeamTest {

  private final AuthFixture auth;

  SessionsSeamTest(AuthFixture auth) {
    this.auth = auth;
  }

  TokenPair login(Credentials user) {
    return auth.openSession(0, user);
  }

  Credentials withVersion(Credentials c, long version) {
    return new Credentials(c.userId(), c.username(), c.email(), c.roles(), c.passwordHash(), version, Instant.now(), false, false);
  }

  String validate(String token) {
    return auth.validity(0, token);
  }

  HttpResponse<Buffer> refresh(String refreshToken) {
    return auth.refresh(0, refreshToken);
  }

  @Test
  void aPasswordChangeRevokesOlderSessionsExceptTheOneKept() {
    Credentials jack = auth.users.add("jack", "jacks long password");
    TokenPair old1 = login(jack);
    TokenPair keep = login(jack);
    TokenPair newer = login(withVersion(jack, 2));

    int revoked = await(auth.module(0).sessions().revokeOlderPasswordVersions(jack.userId(), 2, keep.sessionId(), "pw-test"));

    assertThat(revoked).isEqualTo(1);
    assertThat(validate(old1.accessToken())).isEqualTo("revoked");
    assertThat(validate(keep.accessToken())).isEqualTo("valid");
    assertThat(validate(newer.accessToken())).isEqualTo("valid");
    assertThat(refresh(old1.refreshToken()).bodyAsJsonObject().getString("code")).isEqualTo("invalid_refresh_token");
    assertThat(await(auth.module(0).sessions().revokeOlderPasswordVersions(jack.userId(), 2, keep.sessionId(), "again")))
      .as("idempotent").isZero();
    assertThat(await(auth.module(0).sessions().revokeOlderPasswordVersions(jack.userId(), 3, null, "no keep"))).isEqualTo(2);
    assertThat(validate(keep.accessToken())).isEqualTo("revoked");
    assertThat(await(auth.module(0).sessions().revokeOlderPasswordVersions(jack.userId(), 3, "not-a-uuid", "bad keep"))).isZero();
  }

  @Test
  void aRolesChangeWhileTheUserServiceIsDownStillInvalidatesAndTheRefreshWaitsForTheRoles() {
    Credentials kim = auth.users.add("kim", "kims long password");
    TokenPair pair = login(kim);
    auth.users.put(new Credentials(kim.userId(), kim.username(), kim.email(), List.of("user", "admin"), kim.passwordHash(),
      kim.passwordVersion(), Instant.now(), false, false));
    await(auth.users.stop());
    try {
      await(auth.module(0).sessions().invalidateAccessTokens(kim.userId(), "roles-down"));
      assertThat(validate(pair.accessToken())).isEqualTo("revoked");
      HttpResponse<Buffer> whileDown = refresh(pair.refreshToken());
      Problems.assertProblem(whileDown, 503, "user_service_unavailable");
    } finally {
      await(auth.users.start());
    }
    // the refresh token was not consumed by the failed attempt
    HttpResponse<Buffer> refreshed = refresh(pair.refreshToken());
    assertThat(refreshed.statusCode()).as(refreshed.bodyAsString()).isEqualTo(200);
    JsonObject validated = auth.validation(0, refreshed.bodyAsJsonObject().getString("accessToken"));
    assertThat(validated.getBoolean("valid")).isTrue();
    assertThat(validated.getJsonArray("roles")).isEqualTo(new JsonArray().add("user").add("admin"));
    String[] stored = auth.sessionRoles(pair.sessionId());
    assertThat(stored).containsExactly("user", "admin");
  }

  @Test
  void aRolesChangeWithTheUserServiceUpStoresTheRolesOnTheSessionsAtOnce() {
    Credentials lea = auth.users.add("lea", "leas long password", "user", "admin");
    TokenPair pair = login(lea);
    auth.users.put(new Credentials(lea.userId(), lea.username(), lea.email(), List.of("user"), lea.passwordHash(),
      lea.passwordVersion(), Instant.now(), false, false));

    await(auth.module(0).sessions().invalidateAccessTokens(lea.userId(), "roles-up"));

    assertThat(validate(pair.accessToken())).isEqualTo("revoked");
    String[] stored = auth.sessionRoles(pair.sessionId());
    assertThat(stored).containsExactly("user");
    int before = auth.users.credentialRequests();
    JsonObject refreshed = refresh(pair.refreshToken()).bodyAsJsonObject();
    assertThat(auth.users.credentialRequests()).as("the refresh needed no user service").isEqualTo(before);
    assertThat(refreshed.getString("sessionId")).isEqualTo(pair.sessionId());
  }

  @Test
  void withTheGraceOffEvenAnImmediateRetryIsReuse() {
    Credentials max = auth.users.add("max", "maxs long password");
    TokenPair pair = login(max);
    assertThat(refresh(pair.refreshToken()).statusCode()).isEqualTo(200);
    HttpResponse<Buffer> retry = refresh(pair.refreshToken());
    Problems.assertProblem(retry, 401, "refresh_token_reused");
  }

  @Test
  void theCleanupDeletesLongEndedSessionsOnlyAndOneNodeAtATime() {
    Credentials ned = auth.users.add("ned", "neds long password");
    TokenPair live = login(ned);
    TokenPair ended = login(ned);
    TokenPair revokedLongAgo = login(ned);
    TokenPair revokedJustNow = login(ned);
    auth.query("UPDATE auth.sessions SET refresh_expires_at = now() - interval '1 day', expires_at = now() - interval '1 day' WHERE id = $1::uuid",
      rows -> rows.rowCount(), ended.sessionId());
    auth.query("UPDATE auth.sessions SET revoked_at = now() - interval '1 day' WHERE id = $1::uuid", rows -> rows.rowCount(),
      revokedLongAgo.sessionId());
    await(auth.module(0).sessions().revokeAllOfUser(UUID.randomUUID().toString(), "nobody", "noop"));
    assertThat(auth.bearer(0, io.vertx.core.http.HttpMethod.POST, "/auth/logout", revokedJustNow.accessToken()).statusCode()).isEqualTo(204);

    List<RetentionRule> rules = AuthModule.retentionRules(auth.config(), new AuditTrail(auth.sql(), AuthModule.SCHEMA));
    RetentionRule sessions = rules.stream().filter(rule -> rule.table().equals("auth.sessions")).findFirst().orElseThrow();
    RetentionJob cleanup = new RetentionJob(auth.sql(), List.of(sessions), Duration.ZERO, 1000, 20, new SimpleMeterRegistry());
    // another node holding the lock: this one skips
    RetentionJob.RuleRun whileLocked = await(auth.sql().withTransaction(conn -> conn.preparedQuery("SELECT pg_advisory_xact_lock($1)")
      .execute(Tuple.of(sessions.lockKey())).compose(v -> cleanup.runOnce()))).get(0);
    assertThat(whileLocked.result()).isEqualTo(RetentionJob.Result.SKIPPED);
    assertThat(whileLocked.deleted()).isZero();
    assertThat(auth.sessionIds(ned.userId())).hasSize(4);

    int deleted = await(cleanup.runOnce()).get(0).deleted();

    assertThat(deleted).isGreaterThanOrEqualTo(2);
    List<String> left = auth.sessionIds(ned.userId());
    assertThat(left).containsExactlyInAnyOrder(live.sessionId(), revokedJustNow.sessionId());
  }
}
