package io.latchkey.auth;

import io.latchkey.auth.cache.CachedCredentials;
import io.latchkey.auth.cache.PasswordCache.InstallResult;
import io.latchkey.auth.session.TokenPair;
import io.latchkey.auth.testing.AuthFixture;
import io.latchkey.auth.testing.AuthTest;
import io.latchkey.auth.testing.FakeUserService;
import io.latchkey.common.ApiException;
import io.latchkey.common.BusAddresses;
import io.latchkey.common.BusClient;
import io.latchkey.common.bus.Credentials;
import io.latchkey.common.bus.UserNotice;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import static io.latchkey.auth.testing.Problems.assertProblem;
import static io.latchkey.common.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * The auth side of the account lifecycle, on two nodes: the user service's password_reset,
 * user_disabled and user_enabled notices arrive over the event bus (as the outbox relay sends
 * them), and logins, refreshes and tokens are checked on both nodes afterwards. Each call comes
 * from a client IP of its own (both nodes trust 127.0.0.1 as a proxy), so only account counters
 * are shared between calls.
 */
@Timeout(120)
@AuthTest(nodes = 2, settings = {"TRUSTED_PROXIES=127.0.0.1", "LOGIN_ACCOUNT_MAX_FAILURES=10"})
class AccountLifecycleTest {

  /** Generous for a loaded CI machine: the node that applied a notice refuses at once, the other within milliseconds. */
  private static final long PROPAGATION_BOUND_MS = 2000;
  private static final AtomicInteger nextIp = new AtomicInteger(1);
  private static final AtomicLong nextEventId = new AtomicLong(System.currentTimeMillis() * 1000);

  private final AuthFixture auth;

  AccountLifecycleTest(AuthFixture auth) {
    this.auth = auth;
  }

  HttpResponse<Buffer> login(int node, String login, String password) {
    int n = nextIp.getAndIncrement();
    return auth.loginFrom(node, "203.0." + (n / 250) + "." + (n % 250 + 1), login, password);
  }

  JsonObject loggedIn(int node, Credentials user, String password) {
    HttpResponse<Buffer> response = login(node, user.username(), password);
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    return response.bodyAsJsonObject();
  }

  /** Sends a notice over the bus as the outbox relay does; returns once it is acknowledged. */
  void notice(UserNotice notice) {
    BusClient bus = new BusClient(auth.nodes.get(0).eventBus(), auth.keys, 5000, "auth_service_unavailable", "auth service");
    assertThat(await(bus.request(BusAddresses.AUTH_SYNC, notice.toJson(), "rid-" + notice.eventId())))
      .isEqualTo(new JsonObject().put("applied", true));
  }

  static UserNotice noticeOf(UserNotice.Type type, Credentials after) {
    Long version = type == UserNotice.Type.PASSWORD_RESET ? after.passwordVersion() : null;
    return new UserNotice(nextEventId.incrementAndGet(), type, after.userId(), version, null, after.updatedAt());
  }

  /** The user service disables the user and its notice is applied. */
  Credentials disable(Credentials user) {
    Credentials after = auth.users.disable(user.userId());
    notice(noticeOf(UserNotice.Type.USER_DISABLED, after));
    return after;
  }

  Credentials enable(Credentials user) {
    Credentials after = auth.users.enable(user.userId());
    notice(noticeOf(UserNotice.Type.USER_ENABLED, after));
    return after;
  }

  /** True when validate-token on {@code node} refuses the token as revoked, polled within the bound. */
  boolean revokedOn(int node, String accessToken) {
    return auth.until(() -> io.vertx.core.Future.succeededFuture("revoked".equals(auth.validity(node, accessToken))),
      PROPAGATION_BOUND_MS);
  }

  CachedCredentials cached(String userId) {
    return await(auth.passwordCache(0).peek(userId));
  }

  @Test
  void aDisableRevokesEverySessionAndRefusesEveryAccessTokenOnBothNodes() {
    Credentials user = auth.users.addUnique("dora", "doras long password");
    JsonObject onNode0 = loggedIn(0, user, "doras long password");
    JsonObject onNode1 = loggedIn(1, user, "doras long password");
    List<String> tokens = List.of(onNode0.getString("accessToken"), onNode1.getString("accessToken"));
    for (int node = 0; node < 2; node++) {
      for (String token : tokens) {
        assertThat(auth.validity(node, token)).as("valid on node " + node + " before (and remembered there)").isEqualTo("valid");
      }
    }

    disable(user);

    assertThat(auth.liveSessionIds(user.userId())).as("live sessions right after the acknowledgement").isEmpty();
    assertThat(auth.revokedReason(onNode0.getString("sessionId"))).isEqualTo("user_disabled");
    for (int node = 0; node < 2; node++) {
      for (String token : tokens) {
        assertThat(revokedOn(node, token)).as("refused on node " + node + " within " + PROPAGATION_BOUND_MS + " ms").isTrue();
        assertThat(auth.bearer(node, HttpMethod.GET, "/auth/sessions", token).statusCode()).isEqualTo(401);
      }
    }
    assertProblem(auth.refresh(0, onNode0.getString("refreshToken")), 401, "invalid_refresh_token");
    assertProblem(auth.refresh(1, onNode1.getString("refreshToken")), 401, "invalid_refresh_token");
  }

  @Test
  void aDisabledUserGets403WithTheRightPasswordAnd401WithAWrongOneAndIsNeverLockedOutByTheRightOne() {
    Credentials user = auth.users.addUnique("dirk", "dirks long password");
    disable(user);

    assertProblem(login(0, user.username(), "dirks long password"), 403, "account_disabled");
    assertProblem(login(1, user.username(), "not his password"), 401, "invalid_credentials");
    // the right password is neither a failure nor a success: more attempts than the lockout limit stay 403, never 429
    for (int i = 0; i < 12; i++) {
      assertProblem(login(i % 2, user.email(), "dirks long password"), 403, "account_disabled");
    }
    assertThat(auth.sessionIds(user.userId())).as("sessions opened for a disabled user").isEmpty();
  }

  @Test
  void aCachedEntryNeverLogsADisabledUserInNotEvenWhileTheUserServiceIsDown() {
    Credentials user = auth.users.addUnique("cato", "catos long password");
    loggedIn(0, user, "catos long password");
    Credentials enabledEntry = cached(user.userId()).credentials();
    assertThat(enabledEntry.disabled()).isFalse();

    disable(user);

    assertThat(cached(user.userId())).as("the cache entry after the disable").isNull();
    // an old entry (from before the disable) written back by a slow fill or a replaying member is refused
    assertThat(await(auth.passwordCache(1).install(enabledEntry))).isEqualTo(InstallResult.STALE);
    await(auth.users.stop());
    try {
      assertProblem(login(1, user.username(), "catos long password"), 503, "user_service_unavailable");
    } finally {
      await(auth.users.start());
    }
    // the user service answers "disabled": that entry is cached, and with the user service down it answers 403
    assertProblem(login(0, user.username(), "catos long password"), 403, "account_disabled");
    assertThat(cached(user.userId()).credentials().disabled()).as("the cached entry says disabled").isTrue();
    await(auth.users.stop());
    try {
      assertProblem(login(1, user.username(), "catos long password"), 403, "account_disabled");
      assertProblem(login(0, user.username(), "catos long password"), 403, "account_disabled");
    } finally {
      await(auth.users.start());
    }
    assertThat(auth.sessionIds(user.userId())).as("sessions after the disable").hasSize(1);
    assertThat(auth.liveSessionIds(user.userId())).isEmpty();
  }

  @Test
  void aSessionOpenedWithCredentialsReadBeforeTheDisableIsRevokedAndTheLoginRefused() {
    Credentials before = auth.users.addUnique("rita", "ritas long password");
    disable(before);

    Throwable failure = catchThrowable(() -> auth.openSession(1, before));

    Throwable cause = failure instanceof AssertionError && failure.getCause() != null ? failure.getCause() : failure;
    assertThat(cause).isInstanceOf(ApiException.class);
    assertThat(((ApiException) cause).status()).isEqualTo(403);
    assertThat(((ApiException) cause).code()).isEqualTo("account_disabled");
    assertThat(auth.liveSessionIds(before.userId())).as("live sessions of a disabled user").isEmpty();
    assertThat(auth.revokedReason(auth.sessionIds(before.userId()).get(0))).isEqualTo("user_disabled");
  }

  @Test
  void aLoginWhoseCredentialsWereReadBeforeTheDisableAndAnsweredAfterItIsRefused() {
    Credentials user = auth.users.addUnique("hugo", "hugos long password");
    FakeUserService.HeldAnswer[] held = new FakeUserService.HeldAnswer[1];
    io.vertx.core.Future<FakeUserService.HeldAnswer> arrived = auth.users.holdNextAnswer();
    io.vertx.core.Future<HttpResponse<Buffer>> racing = auth.request(0, HttpMethod.POST, "/auth/login")
      .putHeader("X-Forwarded-For", "198.18.0.77")
      .sendJsonObject(new JsonObject().put("login", user.username()).put("password", "hugos long password"));
    held[0] = await(arrived);
    assertThat(held[0].answer().disabled()).as("the held answer was read before the disable").isFalse();

    disable(user);
    held[0].release().complete();

    HttpResponse<Buffer> response = await(racing);
    assertThat(response.statusCode()).as("never 200: " + response.bodyAsString()).isIn(403, 503);
    assertThat(auth.liveSessionIds(user.userId())).as("live sessions of a disabled user").isEmpty();
  }

  @Test
  void enablingRestoresLoginsButNotSessions() {
    Credentials user = auth.users.addUnique("elke", "elkes long password");
    JsonObject before = loggedIn(1, user, "elkes long password");
    disable(user);

    enable(user);

    assertProblem(auth.refresh(0, before.getString("refreshToken")), 401, "invalid_refresh_token");
    assertThat(revokedOn(0, before.getString("accessToken"))).isTrue();
    assertThat(revokedOn(1, before.getString("accessToken"))).isTrue();
    JsonObject after = loggedIn(0, user, "elkes long password");
    assertThat(auth.validity(1, after.getString("accessToken"))).isEqualTo("valid");
    assertThat(auth.liveSessionIds(user.userId())).containsExactly(after.getString("sessionId"));
  }

  @Test
  void aPasswordResetRevokesEverySessionOnBothNodesKeepsNoneAndClearsTheLockout() {
    Credentials user = auth.users.addUnique("rosa", "rosas old password");
    JsonObject onNode0 = loggedIn(0, user, "rosas old password");
    JsonObject onNode1 = loggedIn(1, user, "rosas old password");
    for (int i = 0; i < 10; i++) {
      assertProblem(login(i % 2, user.username(), "a wrong guess " + i), 401, "invalid_credentials");
    }
    assertProblem(login(0, user.username(), "rosas old password"), 429, "too_many_attempts");

    Credentials reset = auth.users.resetPassword(user.userId(), "rosas new password");
    // a reset keeps no session, even one a notice would name
    notice(new UserNotice(nextEventId.incrementAndGet(), UserNotice.Type.PASSWORD_RESET, user.userId(), reset.passwordVersion(),
      onNode0.getString("sessionId"), reset.updatedAt()));

    assertThat(auth.liveSessionIds(user.userId())).as("live sessions after the reset").isEmpty();
    assertThat(auth.revokedReason(onNode0.getString("sessionId"))).isNotNull();
    for (int node = 0; node < 2; node++) {
      assertThat(revokedOn(node, onNode0.getString("accessToken"))).as("node " + node).isTrue();
      assertThat(revokedOn(node, onNode1.getString("accessToken"))).as("node " + node).isTrue();
    }
    assertProblem(auth.refresh(1, onNode1.getString("refreshToken")), 401, "invalid_refresh_token");
    JsonObject fresh = loggedIn(1, user, "rosas new password");
    assertThat(auth.validity(0, fresh.getString("accessToken"))).isEqualTo("valid");
    assertProblem(login(0, user.username(), "rosas old password"), 401, "invalid_credentials");
  }

  @Test
  void duplicatedAndLateNoticesAreHarmless() {
    Credentials user = auth.users.addUnique("dupe", "dupes long password");
    Credentials disabled = auth.users.disable(user.userId());
    UserNotice disable = noticeOf(UserNotice.Type.USER_DISABLED, disabled);
    notice(disable);
    notice(disable);
    assertProblem(login(0, user.username(), "dupes long password"), 403, "account_disabled");
    Credentials enabled = auth.users.enable(user.userId());
    UserNotice enable = noticeOf(UserNotice.Type.USER_ENABLED, enabled);
    notice(enable);
    JsonObject session = loggedIn(1, user, "dupes long password");

    // the disable again, as sent before (same event id), then as a late copy with an id of its own
    notice(disable);
    notice(new UserNotice(nextEventId.incrementAndGet(), UserNotice.Type.USER_DISABLED, user.userId(), null, null,
      disabled.updatedAt()));
    notice(enable);

    assertThat(auth.liveSessionIds(user.userId())).as("the session opened after the enable").containsExactly(session.getString("sessionId"));
    assertThat(auth.validity(0, session.getString("accessToken"))).isEqualTo("valid");
    loggedIn(0, user, "dupes long password");

    Credentials reset = auth.users.resetPassword(user.userId(), "dupes new password");
    UserNotice resetNotice = noticeOf(UserNotice.Type.PASSWORD_RESET, reset);
    notice(resetNotice);
    JsonObject afterReset = loggedIn(0, user, "dupes new password");
    notice(resetNotice);
    assertThat(auth.liveSessionIds(user.userId())).as("the session opened after the reset").containsExactly(afterReset.getString("sessionId"));
  }

  @Test
  void anUnverifiedAddressLogsInWhileVerificationIsNotRequired() {
    Credentials user = auth.users.addUnique("unve", "unves long password");
    assertThat(user.emailVerified()).isFalse();

    loggedIn(0, user, "unves long password");
  }

  @Test
  void aRefreshThatFetchesTheRolesOfAUserDisabledMeanwhileRevokesTheSessions() {
    Credentials user = auth.users.addUnique("rolf", "rolfs long password");
    JsonObject pair = loggedIn(0, user, "rolfs long password");
    // a roles change while the user service is down leaves the roles to the next refresh
    await(auth.users.stop());
    try {
      await(auth.module(0).sessions().invalidateAccessTokens(user.userId(), "roles-while-down"));
    } finally {
      await(auth.users.start());
    }
    // disabled at the user service; its notice has not arrived yet
    auth.users.disable(user.userId());

    assertProblem(auth.refresh(1, pair.getString("refreshToken")), 401, "invalid_refresh_token");
    assertThat(auth.liveSessionIds(user.userId())).isEmpty();
    assertThat(auth.revokedReason(pair.getString("sessionId"))).isEqualTo("user_disabled");
  }

  /** The password_reset notice over the bus is well formed only with its new version. */
  @Test
  void aPasswordResetNoticeWithoutAVersionIsRefusedAndChangesNothing() {
    Credentials user = auth.users.addUnique("nover", "novers long password");
    JsonObject pair = loggedIn(0, user, "novers long password");
    BusClient bus = new BusClient(auth.nodes.get(0).eventBus(), auth.keys, 5000, "auth_service_unavailable", "auth service");
    JsonObject body = new UserNotice(nextEventId.incrementAndGet(), UserNotice.Type.PASSWORD_RESET, user.userId(), null, null,
      Instant.now()).toJson();

    Throwable failure = catchThrowable(() -> await(bus.request(BusAddresses.AUTH_SYNC, body, "rid-no-version")));

    Throwable cause = failure instanceof AssertionError && failure.getCause() != null ? failure.getCause() : failure;
    assertThat(cause).isInstanceOf(ApiException.class);
    assertThat(((ApiException) cause).status()).isEqualTo(400);
    assertThat(auth.liveSessionIds(user.userId())).containsExactly(pair.getString("sessionId"));
  }
}
