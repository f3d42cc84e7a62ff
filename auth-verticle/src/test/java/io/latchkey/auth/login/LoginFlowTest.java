package io.latchkey.auth.login;

import io.latchkey.auth.testing.AuthFixture;
import io.latchkey.auth.testing.AuthTest;
import io.latchkey.auth.testing.AuthTest.NodeSettings;
import io.latchkey.auth.testing.FakeUserService;
import io.latchkey.auth.cache.CacheSettings;
import io.latchkey.auth.cache.PasswordCache;
import io.latchkey.auth.cache.CachedCredentials;
import io.latchkey.common.Profile;
import io.latchkey.common.Settings;
import io.latchkey.common.bus.Credentials;
import io.latchkey.common.testing.TestNodes;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;

import static io.latchkey.common.testing.Await.await;
import static io.latchkey.common.testing.Await.failure;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * POST /auth/login on two clustered nodes of the real auth module sharing the password cache,
 * the throttle counters and the sessions (PostgreSQL), with the fake user service on node 0.
 * Node 0 trusts 127.0.0.1 as a proxy (its tests name the client in X-Forwarded-For); node 1
 * trusts no proxy. What a login or a sync did to the sessions is read from auth.sessions.
 */
@Timeout(120)
@AuthTest(nodes = 2, settings = "LOGIN_ACCOUNT_MAX_FAILURES=5", perNode = {
  @NodeSettings(node = 0, value = {"TRUSTED_PROXIES=127.0.0.1", "LOGIN_IP_MAX_FAILURES=12"}),
  @NodeSettings(node = 1, value = "LOGIN_IP_MAX_FAILURES=1000")})
class LoginFlowTest {

  static final AtomicInteger nextIp = new AtomicInteger(1);
  private final AuthFixture auth;

  LoginFlowTest(AuthFixture auth) {
    this.auth = auth;
  }

  /** A client IP of its own for each call on node 0, so tests never share an IP counter there. */
  static String freshIp() {
    int n = nextIp.getAndIncrement();
    return "198.51." + (n / 250) + "." + (n % 250 + 1);
  }

  HttpResponse<Buffer> login(int node, String login, String password) {
    return node == 0 ? auth.loginFrom(0, freshIp(), login, password) : auth.login(node, login, password);
  }

  static JsonObject problem(HttpResponse<Buffer> response) {
    assertThat(response.getHeader("Content-Type")).startsWith("application/problem+json");
    return response.bodyAsJsonObject();
  }

  CachedCredentials cached(String userId) {
    return await(auth.passwordCache(0).peek(userId));
  }

  @Test
  void rightPasswordGetsATokenPairAndLeavesTheUserInTheCache() {
    Credentials user = auth.users.addUnique("alice", "correct horse 1");

    HttpResponse<Buffer> response = login(1, user.username(), "correct horse 1");

    assertThat(response.statusCode()).isEqualTo(200);
    JsonObject body = response.bodyAsJsonObject();
    assertThat(body.fieldNames()).contains("accessToken", "refreshToken", "tokenType", "expiresIn", "refreshExpiresIn", "sessionId");
    assertThat(body.getString("tokenType")).isEqualTo("Bearer");
    assertThat(response.getHeader("Cache-Control")).isEqualTo("no-store");
    // one session opened for the user: the one the pair names
    assertThat(auth.sessionIds(user.userId())).containsExactly(body.getString("sessionId"));
    CachedCredentials entry = cached(user.userId());
    assertThat(entry).isNotNull();
    assertThat(entry.passwordVersion()).isEqualTo(1);
  }

  @Test
  void emailWorksAsLoginWithoutRegardToCase() {
    Credentials user = auth.users.addUnique("bob", "correct horse 2");

    assertThat(login(0, user.email().toUpperCase(), "correct horse 2").statusCode()).isEqualTo(200);
    // and once more, now answered from the cache
    assertThat(login(1, user.email().toUpperCase(), "correct horse 2").statusCode()).isEqualTo(200);
  }

  @Test
  void unknownLoginAndWrongPasswordGetTheSame401() {
    Credentials user = auth.users.addUnique("carol", "correct horse 3");

    HttpResponse<Buffer> wrong = login(1, user.username(), "not the password");
    HttpResponse<Buffer> unknown = login(1, "nobody-" + UUID.randomUUID(), "not the password");

    assertThat(wrong.statusCode()).isEqualTo(401);
    assertThat(unknown.statusCode()).isEqualTo(401);
    JsonObject a = problem(wrong);
    JsonObject b = problem(unknown);
    assertThat(a.getString("code")).isEqualTo("invalid_credentials");
    a.remove("requestId");
    b.remove("requestId");
    assertThat(a).isEqualTo(b);
    assertThat(wrong.getHeader("WWW-Authenticate")).isNull();
    assertThat(auth.sessionIds(user.userId())).isEmpty();
  }

  @Test
  void badBodiesAre400() {
    HttpResponse<Buffer> noLogin = await(auth.request(1, HttpMethod.POST, "/auth/login")
      .sendJsonObject(new JsonObject().put("password", "x")));
    assertThat(noLogin.statusCode()).isEqualTo(400);
    assertThat(problem(noLogin).getString("code")).isEqualTo("validation_failed");
    assertThat(problem(noLogin).getJsonArray("errors").getJsonObject(0).getString("field")).isEqualTo("login");

    HttpResponse<Buffer> emptyPassword = await(auth.request(1, HttpMethod.POST, "/auth/login")
      .sendJsonObject(new JsonObject().put("login", "someone").put("password", "")));
    assertThat(problem(emptyPassword).getString("code")).isEqualTo("validation_failed");
    assertThat(problem(emptyPassword).getJsonArray("errors").getJsonObject(0).getString("field")).isEqualTo("password");

    HttpResponse<Buffer> extraField = await(auth.request(1, HttpMethod.POST, "/auth/login")
      .sendJsonObject(new JsonObject().put("login", "someone").put("password", "x").put("remember", true)));
    assertThat(extraField.statusCode()).isEqualTo(400);
    assertThat(problem(extraField).getString("code")).isEqualTo("validation_failed");

    HttpResponse<Buffer> wrongType = await(auth.request(1, HttpMethod.POST, "/auth/login")
      .sendJsonObject(new JsonObject().put("login", 42).put("password", "x")));
    assertThat(wrongType.statusCode()).isEqualTo(400);
    assertThat(problem(wrongType).getString("code")).isEqualTo("malformed_request");

    HttpResponse<Buffer> notJson = await(auth.request(1, HttpMethod.POST, "/auth/login")
      .putHeader("Content-Type", "application/json").sendBuffer(Buffer.buffer("{\"login\":")));
    assertThat(notJson.statusCode()).isEqualTo(400);
    assertThat(problem(notJson).getString("code")).isEqualTo("malformed_request");

    HttpResponse<Buffer> array = await(auth.request(1, HttpMethod.POST, "/auth/login")
      .putHeader("Content-Type", "application/json").sendBuffer(Buffer.buffer("[]")));
    assertThat(problem(array).getString("code")).isEqualTo("malformed_request");
  }

  @Test
  void aPasswordOver72BytesNeverMatchesEvenWhereBcryptWouldTruncate() {
    String seventyTwo = "a".repeat(72);
    Credentials user = auth.users.addUnique("dave", seventyTwo);

    assertThat(login(1, user.username(), seventyTwo + "b").statusCode()).isEqualTo(401);
    assertThat(login(1, user.username(), seventyTwo).statusCode()).isEqualTo(200);
  }

  @Test
  void passwordsAreComparedAfterNfkcNormalization() {
    Credentials user = auth.users.addUnique("erin", "fisherman 12"); // the user service stored the NFKC form

    assertThat(login(1, user.username(), "\uFB01sherman 12").statusCode()).isEqualTo(200); // "ﬁ" ligature
  }

  @Test
  void aMissAsksTheUserServiceThenEveryNodeAnswersFromTheCache() {
    Credentials user = auth.users.addUnique("frank", "correct horse 4");
    JsonObject before0 = health(0);
    JsonObject before1 = health(1);
    int asked = auth.users.credentialRequests();

    assertThat(login(0, user.username(), "correct horse 4").statusCode()).isEqualTo(200);
    assertThat(auth.users.credentialRequests()).isEqualTo(asked + 1);
    assertThat(health(0).getLong("misses")).isEqualTo(before0.getLong("misses") + 1);

    assertThat(login(0, user.username(), "correct horse 4").statusCode()).isEqualTo(200);
    assertThat(login(1, user.email(), "correct horse 4").statusCode()).isEqualTo(200);

    assertThat(auth.users.credentialRequests()).isEqualTo(asked + 1);
    JsonObject after0 = health(0);
    JsonObject after1 = health(1);
    assertThat(after0.getLong("hits")).isEqualTo(before0.getLong("hits") + 1);
    assertThat(after1.getLong("hits")).isEqualTo(before1.getLong("hits") + 1);
    assertThat(after0.getInteger("size")).isGreaterThanOrEqualTo(1).isEqualTo(after1.getInteger("size"));
    assertThat(after0.getDouble("hitRatio")).isBetween(0.0, 1.0);
    assertThat(after0.fieldNames()).containsExactlyInAnyOrder("size", "hits", "misses", "hitRatio", "evictions");
  }

  JsonObject health(int node) {
    HttpResponse<Buffer> response = await(auth.request(node, HttpMethod.GET, "/health/cache").send());
    assertThat(response.statusCode()).isEqualTo(200);
    return response.bodyAsJsonObject();
  }

  @Test
  void afterAPasswordSyncTheOldPasswordIsRefusedOnEveryNode() {
    Credentials user = auth.users.addUnique("grace", "old password 1");
    HttpResponse<Buffer> before = login(0, user.username(), "old password 1");
    assertThat(before.statusCode()).isEqualTo(200);
    auth.users.changePassword(user.userId(), "new password 1");

    HttpResponse<Buffer> sync = auth.postWithKey(1, "/auth/sync/password",
      new JsonObject().put("userId", user.userId()).put("passwordVersion", 2));

    assertThat(sync.statusCode()).isEqualTo(204);
    assertThat(cached(user.userId())).isNull();
    assertThat(login(0, user.username(), "old password 1").statusCode()).isEqualTo(401);
    assertThat(login(1, user.username(), "old password 1").statusCode()).isEqualTo(401);
    HttpResponse<Buffer> after = login(1, user.username(), "new password 1");
    assertThat(after.statusCode()).isEqualTo(200);
    assertThat(cached(user.userId()).passwordVersion()).isEqualTo(2);
    // the sync revoked the sessions of password version 1, keeping none
    assertThat(auth.revokedReason(before.bodyAsJsonObject().getString("sessionId"))).isEqualTo("password_changed");
    assertThat(auth.liveSessionIds(user.userId())).containsExactly(after.bodyAsJsonObject().getString("sessionId"));
    long stored = auth.query("SELECT password_version FROM auth.user_sync_state WHERE user_id = $1",
      rows -> rows.iterator().next().getLong(0), UUID.fromString(user.userId()));
    assertThat(stored).isEqualTo(2);
  }

  @Test
  void aCachedHashThatNoLongerMatchesIsCheckedAgainstTheUserServiceOnce() {
    Credentials user = auth.users.addUnique("heidi", "old password 2");
    assertThat(login(1, user.username(), "old password 2").statusCode()).isEqualTo(200);
    // changed at the user service, the notice not (yet) here
    auth.users.changePassword(user.userId(), "new password 2");

    assertThat(login(1, user.username(), "new password 2").statusCode()).isEqualTo(200);
    assertThat(cached(user.userId()).passwordVersion()).isEqualTo(2);
    assertThat(login(0, user.username(), "old password 2").statusCode()).isEqualTo(401);
  }

  @Test
  void aNoticeOverTheBusIsAppliedOnceAndADuplicateIsHarmless() {
    Credentials user = auth.users.addUnique("ivan", "old password 3");
    HttpResponse<Buffer> loggedIn = login(1, user.username(), "old password 3");
    assertThat(loggedIn.statusCode()).isEqualTo(200);
    // a second session of the old password: the one the notice says to keep
    String keep = auth.openSession(1, user).sessionId();
    auth.users.changePassword(user.userId(), "new password 3");
    long eventId = System.nanoTime();
    JsonObject notice = new io.latchkey.common.bus.UserNotice(eventId, io.latchkey.common.bus.UserNotice.Type.PASSWORD_CHANGED,
      user.userId(), 2L, keep, java.time.Instant.now()).toJson();
    io.latchkey.common.BusClient bus = new io.latchkey.common.BusClient(auth.nodes.get(0).eventBus(), auth.keys, 3000,
      "auth_service_unavailable", "auth service");

    JsonObject first = await(bus.request(io.latchkey.common.BusAddresses.AUTH_SYNC, notice, "rid-notice-1"));
    // a live session of password version 1 again (opened with version 2, set back): the notice
    // applied a second time would revoke it
    String probe = auth.openSession(0, auth.users.get(user.userId())).sessionId();
    auth.query("UPDATE auth.sessions SET password_version = 1 WHERE id = $1::uuid", rows -> rows.rowCount(), probe);
    JsonObject second = await(bus.request(io.latchkey.common.BusAddresses.AUTH_SYNC, notice, "rid-notice-2"));

    assertThat(first).isEqualTo(new JsonObject().put("applied", true));
    assertThat(second).isEqualTo(new JsonObject().put("applied", true));
    // applied once, keeping the session it names: the older session revoked, the kept one and the probe not
    assertThat(auth.revokedReason(loggedIn.bodyAsJsonObject().getString("sessionId"))).isEqualTo("password_changed");
    assertThat(auth.revokedReason(keep)).as("the kept session").isNull();
    assertThat(auth.revokedReason(probe)).as("revoked by the duplicate").isNull();
    long applied = auth.query("SELECT count(*) FROM auth.applied_user_notices WHERE event_id = $1",
      rows -> rows.iterator().next().getLong(0), eventId);
    assertThat(applied).isEqualTo(1);
    assertThat(login(0, user.username(), "old password 3").statusCode()).isEqualTo(401);
  }

  @Test
  void aNoticeWithoutAValidKeyIsRefused() {
    io.latchkey.common.BusClient wrongKey = new io.latchkey.common.BusClient(auth.nodes.get(1).eventBus(),
      new io.latchkey.common.ApiKeys(List.of("not-the-key"), List.of(), null), 3000, "auth_service_unavailable", "auth service");
    JsonObject notice = new io.latchkey.common.bus.UserNotice(1, io.latchkey.common.bus.UserNotice.Type.USER_DELETED,
      UUID.randomUUID().toString(), null, null, java.time.Instant.now()).toJson();

    Throwable failure = failure(wrongKey.request(io.latchkey.common.BusAddresses.AUTH_SYNC, notice, "rid"));

    assertThat(failure).isInstanceOf(io.latchkey.common.ApiException.class);
    assertThat(((io.latchkey.common.ApiException) failure).code()).isEqualTo("invalid_api_key");
  }

  @Test
  void aDeletedUserCannotLogInAndIsNeverCachedAgain() {
    Credentials user = auth.users.addUnique("judy", "password 5");
    HttpResponse<Buffer> loggedIn = login(0, user.username(), "password 5");
    assertThat(loggedIn.statusCode()).isEqualTo(200);
    auth.users.remove(user.userId());

    assertThat(auth.postWithKey(0, "/auth/sync/user-deleted", new JsonObject().put("userId", user.userId())).statusCode())
      .isEqualTo(204);

    assertThat(cached(user.userId())).isNull();
    assertThat(login(1, user.username(), "password 5").statusCode()).isEqualTo(401);
    // every session of the user revoked
    assertThat(auth.revokedReason(loggedIn.bodyAsJsonObject().getString("sessionId"))).isEqualTo("user_deleted");
    assertThat(auth.liveSessionIds(user.userId())).isEmpty();
    boolean deleted = auth.query("SELECT deleted FROM auth.user_sync_state WHERE user_id = $1",
      rows -> rows.iterator().next().getBoolean(0), UUID.fromString(user.userId()));
    assertThat(deleted).isTrue();
    // a slow fill still carrying the user cannot bring them back
    assertThat(await(auth.passwordCache(1).install(user)))
      .isEqualTo(PasswordCache.InstallResult.DELETED);
    assertThat(cached(user.userId())).isNull();
  }

  @Test
  void aChangedEmailStopsWorkingAsALoginAfterUserUpdated() {
    Credentials user = auth.users.addUnique("ken", "password 6");
    String oldEmail = user.email();
    HttpResponse<Buffer> loggedIn = login(1, oldEmail, "password 6");
    assertThat(loggedIn.statusCode()).isEqualTo(200);
    auth.users.changeEmail(user.userId(), "ken.new-" + UUID.randomUUID() + "@example.com");

    assertThat(auth.postWithKey(1, "/auth/sync/user-updated", new JsonObject().put("userId", user.userId())).statusCode())
      .isEqualTo(204);

    assertThat(cached(user.userId()).credentials().email()).isEqualTo(auth.users.get(user.userId()).email());
    assertThat(login(0, oldEmail, "password 6").statusCode()).isEqualTo(401);
    assertThat(login(1, auth.users.get(user.userId()).email(), "password 6").statusCode()).isEqualTo(200);
    // the roles did not change: the user's access tokens stay good
    assertThat(auth.validity(1, loggedIn.bodyAsJsonObject().getString("accessToken"))).isEqualTo("valid");
  }

  @Test
  void aRolesChangeRefreshesTheEntryAndInvalidatesAccessTokens() {
    Credentials user = auth.users.addUnique("lena", "password 7");
    HttpResponse<Buffer> before = login(1, user.username(), "password 7");
    assertThat(before.statusCode()).isEqualTo(200);
    auth.users.changeRoles(user.userId(), List.of("user", "admin"));

    assertThat(auth.postWithKey(0, "/auth/sync/user-updated", new JsonObject().put("userId", user.userId())).statusCode())
      .isEqualTo(204);

    // the access tokens issued before are invalidated
    assertThat(auth.validity(0, before.bodyAsJsonObject().getString("accessToken"))).isEqualTo("revoked");
    assertThat(cached(user.userId()).credentials().roles()).containsExactly("user", "admin");
    HttpResponse<Buffer> after = login(1, user.username(), "password 7");
    assertThat(after.statusCode()).isEqualTo(200);
    assertThat(auth.sessionRoles(after.bodyAsJsonObject().getString("sessionId"))).containsExactly("user", "admin");
  }

  @Test
  void whileTheUserServiceIsDownOnlyLoginsTheCacheCanProveSucceed() {
    Credentials cachedUser = auth.users.addUnique("mallory", "password 8");
    Credentials uncachedUser = auth.users.addUnique("nina", "password 9");
    assertThat(login(0, cachedUser.username(), "password 8").statusCode()).isEqualTo(200);
    await(auth.users.stop());
    try {
      assertThat(login(1, cachedUser.username(), "password 8").statusCode()).isEqualTo(200);
      assertThat(login(0, cachedUser.email(), "password 8").statusCode()).isEqualTo(200);

      for (HttpResponse<Buffer> refused : List.of(
        login(1, cachedUser.username(), "wrong password"),
        login(1, uncachedUser.username(), "password 9"),
        login(0, uncachedUser.username(), "wrong password"),
        login(1, "nobody-" + UUID.randomUUID(), "password 9"))) {
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(problem(refused).getString("code")).isEqualTo("user_service_unavailable");
        assertThat(refused.getHeader("Retry-After")).isNotNull();
      }
    } finally {
      await(auth.users.start());
    }
    // nothing was counted as a failure during the outage
    for (int i = 0; i < 4; i++) {
      assertThat(login(1, cachedUser.username(), "wrong password").statusCode()).isEqualTo(401);
    }
    assertThat(login(1, cachedUser.username(), "password 8").statusCode()).isEqualTo(200);
  }

  @Test
  void parallelGuessesOnBothNodesAreCountedExactly() {
    Credentials user = auth.users.addUnique("oscar", "password 10");
    List<Future<HttpResponse<Buffer>>> guesses = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      int node = i % 2;
      var request = auth.request(node, HttpMethod.POST, "/auth/login");
      if (node == 0) {
        request.putHeader("X-Forwarded-For", freshIp());
      }
      guesses.add(request.sendJsonObject(new JsonObject().put("login", user.username()).put("password", "guess " + i)));
    }
    await(Future.join(guesses), 60);

    long unauthorized = guesses.stream().filter(f -> f.result().statusCode() == 401).count();
    long throttled = guesses.stream().filter(f -> f.result().statusCode() == 429).count();
    assertThat(unauthorized).isEqualTo(5);
    assertThat(throttled).isEqualTo(15);
    guesses.stream().filter(f -> f.result().statusCode() == 429).forEach(f -> {
      assertThat(problem(f.result()).getString("code")).isEqualTo("too_many_attempts");
      assertThat(Long.parseLong(f.result().getHeader("Retry-After"))).isBetween(1L, 60L);
    });

    // locked: refused even with the right password, on either node
    HttpResponse<Buffer> right = login(1, user.username(), "password 10");
    assertThat(right.statusCode()).isEqualTo(429);
    assertThat(login(0, user.email(), "password 10").statusCode()).isEqualTo(429);
    assertThat(auth.sessionIds(user.userId())).isEmpty();
  }

  @Test
  void aSuccessResetsTheAccountCount() {
    Credentials user = auth.users.addUnique("peggy", "password 11");
    for (int i = 0; i < 4; i++) {
      assertThat(login(i % 2, user.username(), "wrong " + i).statusCode()).isEqualTo(401);
    }
    assertThat(login(1, user.username(), "password 11").statusCode()).isEqualTo(200);
    for (int i = 0; i < 4; i++) {
      assertThat(login(i % 2, user.username(), "wrong again " + i).statusCode()).isEqualTo(401);
    }
    assertThat(login(0, user.username(), "password 11").statusCode()).isEqualTo(200);
  }

  @Test
  void guessingAnUnknownLoginIsThrottledLikeAnAccount() {
    String unknown = "nobody-" + UUID.randomUUID();
    for (int i = 0; i < 5; i++) {
      assertThat(login(i % 2, unknown, "guess " + i).statusCode()).isEqualTo(401);
    }
    HttpResponse<Buffer> sixth = login(1, unknown.toUpperCase(), "guess 6");
    assertThat(sixth.statusCode()).isEqualTo(429);
    assertThat(sixth.getHeader("Retry-After")).isNotNull();
  }

  @Test
  void oneClientIpIsLockedAfterItsLimitAcrossAccounts() {
    String ip = freshIp();
    // 12 failures from one IP, spread over accounts that each stay under their own limit
    for (int i = 0; i < 12; i++) {
      String login = "ip-spray-" + (i % 4) + "-" + ip;
      assertThat(auth.loginFrom(0, ip, login, "guess").statusCode()).isEqualTo(401);
    }
    Credentials user = auth.users.addUnique("quentin", "password 12");

    HttpResponse<Buffer> fromLockedIp = auth.loginFrom(0, ip, user.username(), "password 12");
    assertThat(fromLockedIp.statusCode()).isEqualTo(429);
    assertThat(problem(fromLockedIp).getString("code")).isEqualTo("too_many_attempts");
    // the account itself is fine from elsewhere
    assertThat(auth.loginFrom(0, freshIp(), user.username(), "password 12").statusCode()).isEqualTo(200);
  }

  @Test
  void xForwardedForCountsOnlyFromATrustedProxy() {
    Credentials user = auth.users.addUnique("rita", "password 13");

    HttpResponse<Buffer> throughTheProxy = auth.loginFrom(0, "203.0.113.9, 127.0.0.1", user.username(), "password 13");
    HttpResponse<Buffer> direct = auth.loginFrom(1, "203.0.113.9", user.username(), "password 13");
    assertThat(throughTheProxy.statusCode()).isEqualTo(200);
    assertThat(direct.statusCode()).isEqualTo(200);

    assertThat(sessionIp(throughTheProxy)).isEqualTo("203.0.113.9");
    assertThat(sessionIp(direct)).isEqualTo("127.0.0.1");
  }

  /** The client IP stored on the session a login response names. */
  String sessionIp(HttpResponse<Buffer> login) {
    return auth.query("SELECT ip FROM auth.sessions WHERE id = $1::uuid", rows -> rows.iterator().next().getString("ip"),
      login.bodyAsJsonObject().getString("sessionId"));
  }

  @Test
  void aFillRacingAPasswordSyncNeverBringsTheOldPasswordBack() {
    Credentials user = auth.users.addUnique("sybil", "old password 14");
    Future<FakeUserService.HeldAnswer> held = auth.users.holdNextAnswer();
    // a login with the old password starts: a miss, the user service reads version 1 ...
    Future<HttpResponse<Buffer>> slowLogin = auth.request(1, HttpMethod.POST, "/auth/login")
      .sendJsonObject(new JsonObject().put("login", user.username()).put("password", "old password 14"));
    FakeUserService.HeldAnswer answer = await(held);
    assertThat(answer.answer().passwordVersion()).isEqualTo(1);
    // ... meanwhile the password changes and the sync is applied ...
    auth.users.changePassword(user.userId(), "new password 14");
    assertThat(auth.postWithKey(0, "/auth/sync/password",
      new JsonObject().put("userId", user.userId()).put("passwordVersion", 2)).statusCode()).isEqualTo(204);
    // ... and only then does the old answer arrive
    answer.release().complete();

    assertThat(await(slowLogin).statusCode()).isEqualTo(401);
    CachedCredentials entry = cached(user.userId());
    assertThat(entry == null || entry.passwordVersion() >= 2).isTrue();
    assertThat(login(0, user.username(), "old password 14").statusCode()).isEqualTo(401);
    assertThat(login(0, user.username(), "new password 14").statusCode()).isEqualTo(200);
    assertThat(cached(user.userId()).passwordVersion()).isEqualTo(2);
  }

  @Test
  void concurrentFillsAndSyncsNeverLeaveAnEntryBelowTheAnnouncedVersion() {
    PasswordCache filling = auth.passwordCache(1);
    PasswordCache syncing = auth.passwordCache(0);
    com.hazelcast.map.IMap<String, byte[]> raw = TestNodes.hazelcast(auth.nodes.get(0))
      .getMap(PasswordCache.ENTRIES_MAP);
    for (int i = 0; i < 25; i++) {
      Credentials v1 = auth.users.addUnique("race" + i, "password race");
      Future<PasswordCache.InstallResult> fill = filling.install(v1);
      Future<Boolean> sync = syncing.announce(v1.userId(), io.latchkey.auth.floor.VersionFloor.password(2));
      await(Future.join(fill, sync));

      assertThat(fill.succeeded() && sync.succeeded()).isTrue();
      // whichever came first, the version-1 entry is not in the map (not merely hidden from reads)
      assertThat(raw.get(v1.userId())).as("round %d: %s", i, fill.result()).isNull();
      assertThat(await(filling.peek(v1.userId()))).isNull();
      assertThat(await(filling.install(v1))).isEqualTo(PasswordCache.InstallResult.STALE);
    }
  }

  @Test
  void lockoutsGrowWithEachRepeatedLockout() {
    Settings settings = auth.settings(0, Map.of("LOGIN_ACCOUNT_MAX_FAILURES", "2", "LOGIN_LOCKOUT_BASE_SECONDS", "1",
      "LOGIN_LOCKOUT_MAX_SECONDS", "900"));
    LoginThrottle throttle = new LoginThrottle(auth.nodes.get(0), TestNodes.hazelcast(auth.nodes.get(0)),
      ThrottleSettings.from(settings), new io.latchkey.auth.cache.CacheCipher(CacheSettings.from(settings, Profile.DEVELOPMENT).key()));
    await(throttle.start());
    LoginThrottle.Counter account = throttle.user(UUID.randomUUID().toString());

    failOnce(throttle, account);
    failOnce(throttle, account);
    assertThat(retryAfter(throttle, account)).isEqualTo(1);

    // once the lock is over, the next attempt is checked again (and counted)
    assertThat(auth.until(() -> throttle.reserve(account, "rid").map(true).otherwise(false), 5_000)).isTrue();
    await(throttle.failed(account, "rid"));
    failOnce(throttle, account);
    assertThat(retryAfter(throttle, account)).isEqualTo(2);
  }

  private static void failOnce(LoginThrottle throttle, LoginThrottle.Counter account) {
    await(throttle.reserve(account, "rid"));
    await(throttle.failed(account, "rid"));
  }

  private static long retryAfter(LoginThrottle throttle, LoginThrottle.Counter account) {
    Throwable refused = failure(throttle.reserve(account, "rid"));
    assertThat(((io.latchkey.common.ApiException) refused).code()).isEqualTo("too_many_attempts");
    return Long.parseLong(((io.latchkey.common.ApiException) refused).headers().get("Retry-After"));
  }
}
