package io.latchkey.auth;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.latchkey.auth.testing.AuthFixture;
import io.latchkey.auth.testing.AuthTest;
import io.latchkey.auth.testing.FakeUserService;
import io.latchkey.common.audit.AuditTrail;
import io.latchkey.common.bus.Credentials;
import io.latchkey.common.retention.RetentionJob;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.latchkey.auth.testing.Problems.assertProblem;
import static io.latchkey.common.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The auth service's audit trail: logins (succeeded, failed with each reason, locked), refresh
 * reuse, logout (bearer and refresh token), logout-all and a deleted session, each with the right
 * fields by its real flow; the change and its event commit together; a failed login's event never
 * changes the answer; the admin list; the JSON line; no secret in any event; retention.
 */
@AuthTest(settings = {"LOGIN_ACCOUNT_MAX_FAILURES=3", "REFRESH_GRACE_SECONDS=0"})
class AuditEventsTest {

  private static final String AGENT = "AuditTest/2.0 (JUnit)";

  private final AuthFixture auth;
  private final FakeUserService users;
  private final List<String> secrets = new ArrayList<>(List.of(AuthFixture.FULL_KEY));
  private ListAppender<ILoggingEvent> auditLines;
  private Level auditLevel;

  AuditEventsTest(AuthFixture auth, FakeUserService users) {
    this.auth = auth;
    this.users = users;
  }

  @BeforeEach
  void captureAuditLines() {
    Logger logger = (Logger) LoggerFactory.getLogger(AuditTrail.LOGGER);
    auditLevel = logger.getLevel();
    logger.setLevel(Level.INFO);
    auditLines = new ListAppender<>();
    auditLines.start();
    logger.addAppender(auditLines);
  }

  @AfterEach
  void stopCapturingAndScanForSecrets() {
    Logger logger = (Logger) LoggerFactory.getLogger(AuditTrail.LOGGER);
    logger.detachAppender(auditLines);
    logger.setLevel(auditLevel);
    // every test: nothing it used as a secret is in any stored event or any line
    String stored = auth.query("SELECT coalesce(string_agg(row_to_json(e)::text, ' '), '') AS all FROM auth.audit_events e",
      rows -> rows.iterator().next().getString("all"));
    String lines = String.join(" ", auditLines.list.stream().map(ILoggingEvent::getFormattedMessage).toList());
    for (String secret : secrets) {
      assertThat(stored + lines).as("an audit event holds a secret").doesNotContain(secret);
    }
    assertThat(stored + lines).doesNotContain("$2a$");
  }

  // ---- helpers

  private HttpResponse<Buffer> post(String path, JsonObject body, String requestId, Map<String, String> headers) {
    HttpRequest<Buffer> request = auth.request(0, HttpMethod.POST, path).putHeader("User-Agent", AGENT).putHeader("X-Request-Id", requestId);
    headers.forEach(request::putHeader);
    return await(body == null ? request.send() : request.sendJsonObject(body));
  }

  private HttpResponse<Buffer> login(String login, String password, String requestId) {
    secrets.add(password);
    HttpResponse<Buffer> response = post("/auth/login", new JsonObject().put("login", login).put("password", password), requestId, Map.of());
    if (response.statusCode() == 200) {
      secrets.add(response.bodyAsJsonObject().getString("accessToken"));
      secrets.add(response.bodyAsJsonObject().getString("refreshToken"));
    }
    return response;
  }

  private static Map<String, String> bearer(String accessToken) {
    return Map.of("Authorization", "Bearer " + accessToken);
  }

  private HttpResponse<Buffer> list(String query, String header, String value) {
    return await(auth.request(0, HttpMethod.GET, "/admin/audit-events" + query).putHeader(header, value).send());
  }

  private List<JsonObject> events(String query) {
    HttpResponse<Buffer> response = list(query, "X-API-Key", AuthFixture.FULL_KEY);
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    List<JsonObject> out = new ArrayList<>();
    response.bodyAsJsonObject().getJsonArray("items").forEach(e -> out.add((JsonObject) e));
    return out;
  }

  private JsonObject byRequest(String requestId) {
    List<JsonObject> found = events("?limit=100").stream().filter(e -> requestId.equals(e.getString("requestId"))).toList();
    assertThat(found).as("events of request " + requestId).hasSize(1);
    return found.get(0);
  }

  private static void assertEvent(JsonObject event, String type, String userId, String sessionId, String actor, String outcome,
                                  String reason, String requestId) {
    assertThat(event.fieldNames()).containsExactlyInAnyOrder("id", "time", "type", "userId", "sessionId", "actor", "ip",
      "userAgent", "requestId", "outcome", "reason");
    assertThat(event.getString("type")).isEqualTo(type);
    assertThat(event.getString("userId")).isEqualTo(userId);
    assertThat(event.getString("sessionId")).isEqualTo(sessionId);
    assertThat(event.getString("actor")).isEqualTo(actor);
    assertThat(event.getString("outcome")).isEqualTo(outcome);
    assertThat(event.getString("reason")).isEqualTo(reason);
    assertThat(event.getString("requestId")).isEqualTo(requestId);
    assertThat(event.getString("ip")).isEqualTo("127.0.0.1");
    assertThat(event.getString("userAgent")).isEqualTo(AGENT);
    assertThat(Instant.parse(event.getString("time"))).isBetween(Instant.now().minus(5, ChronoUnit.MINUTES), Instant.now().plusSeconds(5));
  }

  // ---- logins

  @Test
  void loginsAreAuditedWithTheirOutcomeAndReason() {
    Credentials lea = users.add("audit-lea", "lea's long passphrase");
    HttpResponse<Buffer> ok = login("audit-lea", "lea's long passphrase", "rid-login-ok");
    assertThat(ok.statusCode()).isEqualTo(200);
    assertEvent(byRequest("rid-login-ok"), "login.succeeded", lea.userId(), ok.bodyAsJsonObject().getString("sessionId"), lea.userId(),
      "success", null, "rid-login-ok");

    assertThat(login("audit-lea", "not lea's passphrase", "rid-login-wrong").statusCode()).isEqualTo(401);
    assertEvent(byRequest("rid-login-wrong"), "login.failed", lea.userId(), null, null, "failure", "wrong_password", "rid-login-wrong");

    // an unknown login: no user, and the login string itself is never stored (people type passwords into it)
    String typedPassword = "maybe-a-password-typed-as-login";
    secrets.add(typedPassword);
    assertThat(login(typedPassword, "whatever passphrase", "rid-login-unknown").statusCode()).isEqualTo(401);
    assertEvent(byRequest("rid-login-unknown"), "login.failed", null, null, null, "failure", "unknown_login", "rid-login-unknown");

    Credentials dan = users.add("audit-dan", "dan's long passphrase");
    users.disable(dan.userId());
    assertProblem(login("audit-dan", "dan's long passphrase", "rid-login-disabled"), 403, "account_disabled");
    assertEvent(byRequest("rid-login-disabled"), "login.failed", dan.userId(), null, null, "failure", "account_disabled",
      "rid-login-disabled");
  }

  @Test
  void aLockedAccountIsAuditedAsLocked() {
    Credentials lou = users.add("audit-lou", "lou's long passphrase");
    for (int i = 0; i < 3; i++) {
      assertThat(login("audit-lou", "wrong passphrase " + i, "rid-lou-" + i).statusCode()).isEqualTo(401);
    }
    assertProblem(login("audit-lou", "lou's long passphrase", "rid-lou-locked"), 429, "too_many_attempts");
    assertEvent(byRequest("rid-lou-locked"), "login.locked", lou.userId(), null, null, "failure", "account_locked", "rid-lou-locked");
    assertThat(events("?type=login.failed&userId=" + lou.userId())).hasSize(3)
      .allSatisfy(e -> assertThat(e.getString("reason")).isEqualTo("wrong_password"));
  }

  // ---- sessions

  @Test
  void sessionChangesAreAuditedByTheStatementThatMakesThem() {
    Credentials sam = users.add("audit-sam", "sam's long passphrase");
    JsonObject a = login("audit-sam", "sam's long passphrase", "rid-sam-a").bodyAsJsonObject();
    JsonObject b = login("audit-sam", "sam's long passphrase", "rid-sam-b").bodyAsJsonObject();
    JsonObject c = login("audit-sam", "sam's long passphrase", "rid-sam-c").bodyAsJsonObject();
    JsonObject d = login("audit-sam", "sam's long passphrase", "rid-sam-d").bodyAsJsonObject();

    // a refresh token used twice: no actor (whoever presented it is not known to be sam)
    HttpResponse<Buffer> rotated = post("/auth/refresh", new JsonObject().put("refreshToken", a.getString("refreshToken")), "rid-rot",
      Map.of());
    assertThat(rotated.statusCode()).isEqualTo(200);
    secrets.add(rotated.bodyAsJsonObject().getString("refreshToken"));
    secrets.add(rotated.bodyAsJsonObject().getString("accessToken"));
    assertProblem(post("/auth/refresh", new JsonObject().put("refreshToken", a.getString("refreshToken")), "rid-reuse", Map.of()),
      401, "refresh_token_reused");
    assertEvent(byRequest("rid-reuse"), "refresh.reuse_detected", sam.userId(), a.getString("sessionId"), null, "failure", null,
      "rid-reuse");

    // logout with the bearer token: sam acts, in that session
    assertThat(post("/auth/logout", null, "rid-logout", bearer(b.getString("accessToken"))).statusCode()).isEqualTo(204);
    assertEvent(byRequest("rid-logout"), "logout", sam.userId(), b.getString("sessionId"), sam.userId(), "success", null, "rid-logout");

    // logout with the refresh token: its session's user acts
    assertThat(post("/auth/logout", new JsonObject().put("refreshToken", c.getString("refreshToken")), "rid-logout-rt", Map.of())
      .statusCode()).isEqualTo(204);
    assertEvent(byRequest("rid-logout-rt"), "logout", sam.userId(), c.getString("sessionId"), sam.userId(), "success", null,
      "rid-logout-rt");

    // deleting one of his sessions from another
    JsonObject e = login("audit-sam", "sam's long passphrase", "rid-sam-e").bodyAsJsonObject();
    HttpResponse<Buffer> deleted = await(auth.request(0, HttpMethod.DELETE, "/auth/sessions/" + e.getString("sessionId"))
      .putHeader("User-Agent", AGENT).putHeader("X-Request-Id", "rid-delete").bearerTokenAuthentication(d.getString("accessToken")).send());
    assertThat(deleted.statusCode()).isEqualTo(204);
    assertEvent(byRequest("rid-delete"), "session.ended", sam.userId(), e.getString("sessionId"), sam.userId(), "success",
      "session_deleted", "rid-delete");

    // logout-all: one event, in the session that asked
    HttpResponse<Buffer> all = post("/auth/logout-all", null, "rid-logout-all", bearer(d.getString("accessToken")));
    assertThat(all.statusCode()).isEqualTo(200);
    assertEvent(byRequest("rid-logout-all"), "logout_all", sam.userId(), d.getString("sessionId"), sam.userId(), "success", null,
      "rid-logout-all");

    // every event of sam's, newest first, and each JSON line is the stored event
    List<JsonObject> his = events("?userId=" + sam.userId());
    assertThat(his).extracting(ev -> ev.getString("type")).containsExactly("logout_all", "session.ended", "login.succeeded", "logout",
      "logout", "refresh.reuse_detected", "login.succeeded", "login.succeeded", "login.succeeded", "login.succeeded");
    Map<String, JsonObject> logged = new HashMap<>();
    auditLines.list.stream().map(line -> new JsonObject(line.getFormattedMessage())).forEach(ev -> logged.put(ev.getString("id"), ev));
    for (JsonObject event : his) {
      assertThat(logged.get(event.getString("id"))).as("the JSON line of " + event.getString("type")).isEqualTo(event);
    }
    // logging out a session that is already gone writes nothing more
    post("/auth/logout", new JsonObject().put("refreshToken", c.getString("refreshToken")), "rid-again", Map.of());
    assertThat(events("?userId=" + sam.userId())).hasSize(his.size());
  }

  @Test
  void aSessionChangeAndItsEventCommitTogetherAndAFailedLoginAnswersTheSameWithoutOne() {
    Credentials rae = users.add("audit-rae", "rae's long passphrase");
    JsonObject pair = login("audit-rae", "rae's long passphrase", "rid-rae").bodyAsJsonObject();
    auth.query("""
      CREATE FUNCTION auth.audit_test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.user_id = '%1$s'::uuid AND NEW.type <> 'login.succeeded' THEN RAISE EXCEPTION 'refused by AuditEventsTest'; END IF;
        RETURN NEW;
      END $$""".formatted(rae.userId()), rows -> null);
    auth.query("CREATE TRIGGER audit_test_refuse BEFORE INSERT ON auth.audit_events FOR EACH ROW EXECUTE FUNCTION auth.audit_test_refuse()",
      rows -> null);
    try {
      // the event cannot be written: the logout-all is not made either
      HttpResponse<Buffer> refused = post("/auth/logout-all", null, "rid-rae-all", bearer(pair.getString("accessToken")));
      assertThat(refused.statusCode()).isGreaterThanOrEqualTo(500);
      assertThat(auth.liveSessionIds(rae.userId())).containsExactly(pair.getString("sessionId"));
      // a failed login whose event cannot be written still answers as always
      assertProblem(login("audit-rae", "not rae's passphrase", "rid-rae-wrong"), 401, "invalid_credentials");
    } finally {
      auth.query("DROP TRIGGER audit_test_refuse ON auth.audit_events", rows -> null);
      auth.query("DROP FUNCTION auth.audit_test_refuse()", rows -> null);
    }
    assertThat(events("?userId=" + rae.userId())).extracting(e -> e.getString("type")).containsExactly("login.succeeded");
    assertThat(auditLines.list).noneMatch(line -> line.getFormattedMessage().contains("rid-rae-all")
      || line.getFormattedMessage().contains("rid-rae-wrong"));
  }

  // ---- the list

  @Test
  void theListIsForAdminsAndRefusesBadParameters() {
    Credentials ada = users.add("audit-ada", "ada's long passphrase", "user", "admin");
    Credentials ned = users.add("audit-ned", "ned's long passphrase");
    String adminToken = login("audit-ada", "ada's long passphrase", "rid-ada").bodyAsJsonObject().getString("accessToken");
    String userToken = login("audit-ned", "ned's long passphrase", "rid-ned").bodyAsJsonObject().getString("accessToken");

    assertProblem(list("", "Authorization", "Bearer " + userToken), 403, "forbidden");
    assertProblem(list("", "X-API-Key", AuthFixture.VALIDATE_KEY), 401, "invalid_api_key");
    assertProblem(await(auth.request(0, HttpMethod.GET, "/admin/audit-events").send()), 401, "invalid_token");
    HttpResponse<Buffer> asAdmin = list("?type=login.succeeded&userId=" + ned.userId(), "Authorization", "Bearer " + adminToken);
    assertThat(asAdmin.statusCode()).isEqualTo(200);
    assertThat(asAdmin.bodyAsJsonObject().getJsonArray("items")).hasSize(1);
    assertThat(asAdmin.bodyAsJsonObject().getValue("nextCursor")).isNull();

    for (String bad : List.of("?userId=nope", "?type=password.nope", "?since=2026-13-01T00:00:00Z", "?until=tomorrow", "?limit=0",
      "?limit=101", "?cursor=xyz", "?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z")) {
      assertProblem(list(bad, "X-API-Key", AuthFixture.FULL_KEY), 400, "validation_failed");
    }

    // pages of 2 over ned's and ada's logins and more: no repeats, newest first
    for (int i = 0; i < 4; i++) {
      login("audit-ned", "ned's long passphrase", "rid-ned-" + i);
    }
    List<String> ids = new ArrayList<>();
    String cursor = null;
    do {
      JsonObject page = list("?limit=2&userId=" + ned.userId() + (cursor == null ? "" : "&cursor=" + cursor), "X-API-Key",
        AuthFixture.FULL_KEY).bodyAsJsonObject();
      page.getJsonArray("items").forEach(e -> ids.add(((JsonObject) e).getString("id")));
      cursor = page.getString("nextCursor");
    } while (cursor != null);
    assertThat(ids).hasSize(5).doesNotHaveDuplicates();
  }

  @Test
  void retentionDeletesOnlyEventsPastIt() {
    String user = UUID.randomUUID().toString();
    auth.query("""
      INSERT INTO auth.audit_events (id, time, type, user_id, outcome)
      SELECT gen_random_uuid(), now() - (CASE WHEN g <= 3 THEN 91 ELSE 89 END) * interval '1 day', 'logout', '%s'::uuid, 'success'
        FROM generate_series(1, 5) g""".formatted(user), rows -> null);
    List<RetentionJob.RuleRun> runs = await(new RetentionJob(auth.sql(),
      List.of(new AuditTrail(auth.sql(), "auth").retention(Duration.ofDays(90))), Duration.ZERO, 1, 20, new SimpleMeterRegistry()).runOnce());
    assertThat(runs).singleElement().satisfies(run -> assertThat(run.deleted()).isEqualTo(3));
    long kept = auth.query("SELECT count(*) AS n FROM auth.audit_events WHERE user_id = $1::uuid",
      rows -> rows.iterator().next().getLong("n"), UUID.fromString(user));
    assertThat(kept).isEqualTo(2L);
  }
}
