package io.latchkey.user;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.latchkey.common.ApiKeys;
import io.latchkey.common.Database;
import io.latchkey.common.audit.AuditTrail;
import io.latchkey.common.retention.RetentionJob;
import io.latchkey.user.testing.TestMailServer.Mail;
import io.latchkey.user.testing.TestAuthenticator;
import io.latchkey.user.testing.UserServiceFixture;
import io.latchkey.user.testing.UserServiceTest;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.sqlclient.Pool;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static io.latchkey.common.testing.Await.await;
import static io.latchkey.user.testing.Problems.assertProblem;
import static io.latchkey.user.testing.UserServiceFixture.FULL_KEY;
import static io.latchkey.user.testing.UserServiceFixture.key;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The user service's audit trail: each change writes its event with the right fields in its own
 * transaction, GET /admin/audit-events lists them (filters, cursor, 400s, 403), retention
 * deletes only what is due, each event is one JSON line on latchkey.audit, and no event holds a
 * secret the test used.
 */
@UserServiceTest
class AuditEventsTest {

  private static final String VERIFY = "Confirm your email address";
  private static final String RESET = "Reset your password";
  private static final String AGENT = "AuditTest/1.0 (JUnit)";
  private static final String KEY_ACTOR = ApiKeys.fingerprint(FULL_KEY);

  private final UserServiceFixture f;
  private final Vertx vertx;
  private ListAppender<ILoggingEvent> auditLines;
  private Level auditLevel;

  AuditEventsTest(UserServiceFixture f, Vertx vertx) {
    this.f = f;
    this.vertx = vertx;
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
  void stopCapturing() {
    Logger logger = (Logger) LoggerFactory.getLogger(AuditTrail.LOGGER);
    logger.detachAppender(auditLines);
    logger.setLevel(auditLevel);
  }

  // ---- helpers

  private HttpResponse<Buffer> call(HttpMethod method, String path, JsonObject body, Map<String, String> headers, String requestId) {
    HttpRequest<Buffer> request = f.request(method, path).putHeader("User-Agent", AGENT).putHeader("X-Request-Id", requestId);
    headers.forEach(request::putHeader);
    return await(body == null ? request.send() : request.sendJsonObject(body));
  }

  private HttpResponse<Buffer> list(String query, Map<String, String> headers) {
    return await(f.request(HttpMethod.GET, "/admin/audit-events" + query).putHeader(headers.keySet().iterator().next(),
      headers.values().iterator().next()).send());
  }

  private JsonObject listOk(String query) {
    HttpResponse<Buffer> response = list(query, key());
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    return response.bodyAsJsonObject();
  }

  private List<JsonObject> eventsOf(String userId) {
    List<JsonObject> out = new ArrayList<>();
    listOk("?limit=100&userId=" + userId).getJsonArray("items").forEach(item -> out.add((JsonObject) item));
    return out;
  }

  private JsonObject only(String userId, String type) {
    List<JsonObject> found = eventsOf(userId).stream().filter(e -> e.getString("type").equals(type)).toList();
    assertThat(found).as(type + " events of " + userId).hasSize(1);
    return found.get(0);
  }

  private static void assertEvent(JsonObject event, String type, String userId, String actor, String sessionId, String requestId) {
    assertThat(event.fieldNames()).containsExactlyInAnyOrder("id", "time", "type", "userId", "sessionId", "actor", "ip",
      "userAgent", "requestId", "outcome", "reason");
    assertThat(event.getString("type")).isEqualTo(type);
    assertThat(event.getString("userId")).isEqualTo(userId);
    assertThat(event.getString("actor")).isEqualTo(actor);
    assertThat(event.getString("sessionId")).isEqualTo(sessionId);
    assertThat(event.getString("ip")).isEqualTo("127.0.0.1");
    assertThat(event.getString("userAgent")).isEqualTo(AGENT);
    assertThat(event.getString("requestId")).isEqualTo(requestId);
    assertThat(event.getString("outcome")).isEqualTo("success");
    assertThat(UUID.fromString(event.getString("id"))).isNotNull();
    assertThat(Instant.parse(event.getString("time"))).isBetween(Instant.now().minus(5, ChronoUnit.MINUTES), Instant.now().plusSeconds(5));
  }

  private List<String> loggedLines() {
    return auditLines.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
  }

  private static String enc(String text) {
    return URLEncoder.encode(text, StandardCharsets.UTF_8);
  }

  // ---- every event type through its real flow

  @Test
  void aPasskeyAddedAndRemovedWriteTheirEvents() {
    JsonObject pia = f.register("audit_pia", "audit.pia@example.com", "audit pia passphrase");
    String id = pia.getString("id");
    String token = f.auth.issueToken(id, "audit_pia", "user");
    String session = f.auth.sessionOf(token);
    Map<String, String> asPia = UserServiceFixture.bearer(token);
    TestAuthenticator authenticator = new TestAuthenticator();
    String challenge = call(HttpMethod.POST, "/users/" + id + "/passkeys/registration-options", null, asPia, "rid-pk-options")
      .bodyAsJsonObject().getString("challenge");
    HttpResponse<Buffer> added = call(HttpMethod.POST, "/users/" + id + "/passkeys", new JsonObject().put("name", "Phone")
      .put("credential", authenticator.registration(challenge, "http://localhost:8082", "localhost")), asPia, "rid-pk-add");
    assertThat(added.statusCode()).as(added.bodyAsString()).isEqualTo(201);
    assertEvent(only(id, "passkey.added"), "passkey.added", id, id, session, "rid-pk-add");

    String passkeyId = added.bodyAsJsonObject().getString("id");
    assertThat(call(HttpMethod.DELETE, "/users/" + id + "/passkeys/" + passkeyId, null, asPia, "rid-pk-remove").statusCode())
      .isEqualTo(204);
    assertEvent(only(id, "passkey.removed"), "passkey.removed", id, id, session, "rid-pk-remove");
    // a refused removal writes nothing
    call(HttpMethod.DELETE, "/users/" + id + "/passkeys/" + passkeyId, null, asPia, "rid-pk-again");
    assertThat(eventsOf(id)).extracting(e -> e.getString("type")).containsExactly("passkey.removed", "passkey.added");
    Map<String, JsonObject> logged = new HashMap<>();
    loggedLines().stream().map(JsonObject::new).filter(e -> id.equals(e.getString("userId"))).forEach(e -> logged.put(e.getString("id"), e));
    for (JsonObject event : eventsOf(id)) {
      assertThat(logged.get(event.getString("id"))).as("the JSON line of " + event.getString("type")).isEqualTo(event);
    }
    assertThat(eventsOf(id).toString() + loggedLines()).doesNotContain(token).doesNotContain(authenticator.credentialId());
  }

  @Test
  void everyChangeWritesItsEventWithTheRightFieldsAndNoSecret() {
    List<String> secrets = new ArrayList<>(List.of(FULL_KEY));
    String firstPassword = "audit anna first passphrase";
    JsonObject anna = f.register("audit_anna", "audit.anna@example.com", firstPassword);
    String id = anna.getString("id");
    String token = f.auth.issueToken(id, "audit_anna", "user");
    String session = f.auth.sessionOf(token);
    secrets.addAll(List.of(firstPassword, token));
    Map<String, String> asAnna = UserServiceFixture.bearer(token);

    // email verified with the mailed token: an anonymous caller (no actor, no session)
    Mail verify = f.mail.latest("audit.anna@example.com", VERIFY);
    secrets.add(verify.token());
    assertThat(call(HttpMethod.POST, "/users/verify-email", new JsonObject().put("token", verify.token()), Map.of(), "rid-verify")
      .statusCode()).isEqualTo(200);
    assertEvent(only(id, "email.verified"), "email.verified", id, null, null, "rid-verify");

    // her own password change, with her token: she acts, in that token's session
    String second = "audit anna second passphrase";
    secrets.add(second);
    assertThat(call(HttpMethod.POST, "/users/" + id + "/change-password",
      new JsonObject().put("currentPassword", firstPassword).put("newPassword", second), asAnna, "rid-change").statusCode()).isEqualTo(204);
    assertEvent(only(id, "password.changed"), "password.changed", id, id, session, "rid-change");

    // her own email change (with her current password)
    assertThat(call(HttpMethod.PUT, "/users/" + id, new JsonObject().put("email", "audit.anna2@example.com")
      .put("currentPassword", second), asAnna, "rid-email").statusCode()).isEqualTo(200);
    assertEvent(only(id, "email.changed"), "email.changed", id, id, session, "rid-email");

    // a reset confirmed with the mailed token: anonymous
    assertThat(call(HttpMethod.POST, "/users/password-reset", new JsonObject().put("email", "audit.anna2@example.com"), Map.of(), "rid-rq")
      .statusCode()).isEqualTo(202);
    Mail reset = f.mail.await("audit.anna2@example.com", RESET, 1, 10_000).get(0);
    String third = "audit anna third passphrase";
    secrets.addAll(List.of(reset.token(), third));
    assertThat(call(HttpMethod.POST, "/users/password-reset/confirm", new JsonObject().put("token", reset.token())
      .put("newPassword", third), Map.of(), "rid-reset").statusCode()).isEqualTo(204);
    assertEvent(only(id, "password.reset"), "password.reset", id, null, null, "rid-reset");

    // an admin with the full key: the key's fingerprint acts, no session
    assertThat(call(HttpMethod.PUT, "/users/" + id + "/roles", new JsonObject().put("roles", new JsonArray().add("user").add("admin")),
      key(), "rid-roles").statusCode()).isEqualTo(200);
    JsonObject roles = only(id, "roles.changed");
    assertEvent(roles, "roles.changed", id, KEY_ACTOR, null, "rid-roles");
    assertThat(roles.getString("reason")).isEqualTo("user,admin");
    assertThat(call(HttpMethod.POST, "/users/" + id + "/disable", null, key(), "rid-disable").statusCode()).isEqualTo(200);
    assertEvent(only(id, "user.disabled"), "user.disabled", id, KEY_ACTOR, null, "rid-disable");
    assertThat(call(HttpMethod.POST, "/users/" + id + "/enable", null, key(), "rid-enable").statusCode()).isEqualTo(200);
    assertEvent(only(id, "user.enabled"), "user.enabled", id, KEY_ACTOR, null, "rid-enable");
    // an admin changing another user's password with the key
    String fourth = "audit anna fourth passphrase";
    secrets.add(fourth);
    assertThat(call(HttpMethod.POST, "/users/" + id + "/change-password", new JsonObject().put("newPassword", fourth), key(), "rid-admin-pw")
      .statusCode()).isEqualTo(204);
    List<JsonObject> changes = eventsOf(id).stream().filter(e -> e.getString("type").equals("password.changed")).toList();
    assertThat(changes).hasSize(2);
    assertEvent(changes.get(0), "password.changed", id, KEY_ACTOR, null, "rid-admin-pw");

    // no-op changes write nothing: the same roles again, enabling an enabled user
    int before = eventsOf(id).size();
    call(HttpMethod.PUT, "/users/" + id + "/roles", new JsonObject().put("roles", new JsonArray().add("user").add("admin")), key(), "rid-same");
    call(HttpMethod.POST, "/users/" + id + "/enable", null, key(), "rid-same");
    assertThat(eventsOf(id)).hasSize(before);

    // she deletes herself: the event outlives her row
    String hash = (String) f.userRow(id).get("password_hash");
    secrets.add(hash);
    assertThat(call(HttpMethod.DELETE, "/users/" + id, null, asAnna, "rid-delete").statusCode()).isEqualTo(204);
    assertEvent(only(id, "user.deleted"), "user.deleted", id, id, session, "rid-delete");

    // every event of hers, and each JSON line, was written after its commit and is the listed event
    List<JsonObject> all = eventsOf(id);
    assertThat(all).extracting(e -> e.getString("type")).containsExactly("user.deleted", "password.changed", "user.enabled",
      "user.disabled", "roles.changed", "password.reset", "email.changed", "password.changed", "email.verified");
    Map<String, JsonObject> logged = new HashMap<>();
    loggedLines().stream().map(JsonObject::new).filter(e -> id.equals(e.getString("userId"))).forEach(e -> logged.put(e.getString("id"), e));
    for (JsonObject event : all) {
      assertThat(logged.get(event.getString("id"))).as("the JSON line of " + event.getString("type")).isEqualTo(event);
    }
    // the scan: no password, token, key or hash the test used, in any event or line
    String everything = all.toString() + loggedLines();
    for (String secret : secrets) {
      assertThat(everything).as("an audit event holds a secret").doesNotContain(secret);
    }
    assertThat(everything).doesNotContain("$2a$").doesNotContain("$2b$").doesNotContain("$2y$");
  }

  @Test
  void aRolledBackChangeWritesNoEventAndNoLine() {
    JsonObject bo = f.register("audit_bo", "audit.bo@example.com", "audit bo long passphrase");
    String id = bo.getString("id");
    // the change's notice fails after its audit insert: the transaction rolls back with it
    f.execute("""
      CREATE OR REPLACE FUNCTION users.audit_test_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.user_id = '%s'::uuid THEN RAISE EXCEPTION 'refused by AuditEventsTest'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER audit_test_refuse BEFORE INSERT ON users.outbox FOR EACH ROW EXECUTE FUNCTION users.audit_test_refuse();
      """.formatted(id));
    try {
      HttpResponse<Buffer> refused = call(HttpMethod.PUT, "/users/" + id + "/roles",
        new JsonObject().put("roles", new JsonArray().add("admin")), key(), "rid-rollback");
      assertThat(refused.statusCode()).isGreaterThanOrEqualTo(500);
      assertThat(call(HttpMethod.POST, "/users/" + id + "/disable", null, key(), "rid-rollback").statusCode()).isGreaterThanOrEqualTo(500);
    } finally {
      f.execute("DROP TRIGGER audit_test_refuse ON users.outbox; DROP FUNCTION users.audit_test_refuse();");
    }
    assertThat(f.userRow(id).get("disabled")).isEqualTo(false);
    assertThat(f.rows("SELECT * FROM users.audit_events WHERE user_id = ?::uuid", id)).isEmpty();
    assertThat(eventsOf(id)).isEmpty();
    assertThat(loggedLines()).noneMatch(line -> line.contains(id));

    // the same change once the notice can be written: one event
    assertThat(call(HttpMethod.POST, "/users/" + id + "/disable", null, key(), "rid-after").statusCode()).isEqualTo(200);
    assertThat(eventsOf(id)).extracting(e -> e.getString("type")).containsExactly("user.disabled");
  }

  // ---- the list

  @Test
  void theListFiltersByUserTypeAndTime() {
    String user = UUID.randomUUID().toString();
    String other = UUID.randomUUID().toString();
    f.execute("""
      INSERT INTO users.audit_events (id, time, type, user_id, outcome)
      SELECT gen_random_uuid(), timestamptz '2026-01-01T00:00:00Z' + g * interval '1 hour',
             CASE WHEN g %% 2 = 0 THEN 'user.disabled' ELSE 'user.enabled' END, '%s'::uuid, 'success'
        FROM generate_series(0, 9) g;
      INSERT INTO users.audit_events (id, time, type, user_id, outcome)
      VALUES (gen_random_uuid(), timestamptz '2026-01-01T03:30:00Z', 'user.disabled', '%s'::uuid, 'success');
      """.formatted(user, other));

    JsonArray mine = listOk("?userId=" + user).getJsonArray("items");
    assertThat(mine).hasSize(10);
    assertThat(mine.getJsonObject(0).getString("time")).isEqualTo("2026-01-01T09:00:00Z");
    assertThat(mine.getJsonObject(9).getString("time")).isEqualTo("2026-01-01T00:00:00Z");

    JsonArray disabled = listOk("?userId=" + user + "&type=user.disabled").getJsonArray("items");
    assertThat(disabled).hasSize(5).allSatisfy(e -> assertThat(((JsonObject) e).getString("type")).isEqualTo("user.disabled"));

    // since inclusive, until exclusive; any offset
    JsonArray window = listOk("?userId=" + user + "&since=" + enc("2026-01-01T03:00:00Z") + "&until=" + enc("2026-01-01T07:00:00+01:00"))
      .getJsonArray("items");
    assertThat(window).extracting(e -> ((JsonObject) e).getString("time"))
      .containsExactly("2026-01-01T05:00:00Z", "2026-01-01T04:00:00Z", "2026-01-01T03:00:00Z");
    JsonArray both = listOk("?since=" + enc("2026-01-01T03:00:00Z") + "&until=" + enc("2026-01-01T04:00:00Z")).getJsonArray("items");
    assertThat(both).extracting(e -> ((JsonObject) e).getString("userId")).containsExactly(other, user);
    assertThat(listOk("?userId=" + UUID.randomUUID()).getJsonArray("items")).isEmpty();
    // a known type nobody wrote here (the auth service's): an empty list, not an error
    assertThat(listOk("?type=login.failed&userId=" + user).getJsonArray("items")).isEmpty();
  }

  @Test
  void theCursorPagesWithoutRepeatsOrGapsWhileEventsAreBeingInserted() throws Exception {
    String user = UUID.randomUUID().toString();
    // 120 events over the last two hours, 20 of them sharing one instant (the id breaks the tie)
    f.execute("""
      INSERT INTO users.audit_events (id, time, type, user_id, outcome)
      SELECT gen_random_uuid(), date_trunc('second', now()) - (CASE WHEN g <= 20 THEN 3600 ELSE g * 60 END) * interval '1 second',
             'user.enabled', '%s'::uuid, 'success'
        FROM generate_series(1, 120) g;
      """.formatted(user));
    Set<String> seeded = new HashSet<>();
    f.rows("SELECT id::text AS id FROM users.audit_events WHERE user_id = ?::uuid", user).forEach(r -> seeded.add((String) r.get("id")));
    assertThat(seeded).hasSize(120);

    // while paging, another connection keeps inserting events of this user at random times of the same range
    AtomicBoolean paging = new AtomicBoolean(true);
    AtomicInteger inserted = new AtomicInteger();
    Thread writer = new Thread(() -> {
      while (paging.get()) {
        f.execute("""
          INSERT INTO users.audit_events (id, time, type, user_id, outcome)
          VALUES (gen_random_uuid(), now() - random() * interval '2 hours', 'user.disabled', '%s'::uuid, 'success')""".formatted(user));
        inserted.incrementAndGet();
      }
    }, "audit-writer");
    writer.start();
    List<JsonObject> listed = new ArrayList<>();
    int pages = 0;
    try {
      String cursor = null;
      do {
        JsonObject page = listOk("?limit=7&userId=" + user + (cursor == null ? "" : "&cursor=" + cursor));
        page.getJsonArray("items").forEach(e -> listed.add((JsonObject) e));
        assertThat(page.getJsonArray("items").size()).isLessThanOrEqualTo(7);
        cursor = page.getString("nextCursor");
        pages++;
      } while (cursor != null && pages < 1000);
    } finally {
      paging.set(false);
      writer.join(10_000);
    }
    assertThat(inserted.get()).as("events inserted while paging").isPositive();
    List<String> ids = listed.stream().map(e -> e.getString("id")).toList();
    assertThat(ids).as("no event listed twice").doesNotHaveDuplicates();
    assertThat(ids).as("every event that existed when the listing began").containsAll(seeded);
    for (int i = 1; i < listed.size(); i++) {
      Instant previous = Instant.parse(listed.get(i - 1).getString("time"));
      Instant current = Instant.parse(listed.get(i).getString("time"));
      assertThat(current).as("newest first").isBeforeOrEqualTo(previous);
    }
  }

  @Test
  void badParametersAre400NamingTheFieldAndNonAdminsAreRefused() {
    assertProblem(list("?userId=not-a-uuid", key()), 400, "validation_failed");
    assertProblem(list("?userId=1-1-1-1-1", key()), 400, "validation_failed");
    assertProblem(list("?type=login.nope", key()), 400, "validation_failed");
    assertProblem(list("?type=mfa.enable", key()), 400, "validation_failed");
    assertProblem(list("?since=yesterday", key()), 400, "validation_failed");
    assertProblem(list("?until=2026-01-01", key()), 400, "validation_failed");
    assertProblem(list("?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z", key()), 400, "validation_failed");
    assertProblem(list("?limit=0", key()), 400, "validation_failed");
    assertProblem(list("?limit=101", key()), 400, "validation_failed");
    assertProblem(list("?limit=ten", key()), 400, "validation_failed");
    assertProblem(list("?limit=5&limit=6", key()), 400, "validation_failed");
    assertProblem(list("?cursor=bm90LWEtY3Vyc29y", key()), 400, "validation_failed");
    assertProblem(list("?cursor=%00", key()), 400, "validation_failed");
    HttpResponse<Buffer> several = list("?userId=x&limit=0&type=y", key());
    assertThat(several.bodyAsJsonObject().getJsonArray("errors")).extracting(e -> ((JsonObject) e).getString("field"))
      .containsExactlyInAnyOrder("userId", "limit", "type");
    assertThat(listOk("?limit=100").getJsonArray("items").size()).isLessThanOrEqualTo(100);
    assertThat(listOk("").containsKey("nextCursor")).isTrue();

    JsonObject plain = f.userWithToken("audit_plain");
    assertProblem(list("", UserServiceFixture.bearer(plain.getString("token"))), 403, "forbidden");
    JsonObject admin = f.userWithToken("audit_admin", "user", "admin");
    assertThat(list("", UserServiceFixture.bearer(admin.getString("token"))).statusCode()).isEqualTo(200);
    assertProblem(list("", Map.of("X-API-Key", UserServiceFixture.VALIDATE_KEY)), 401, "invalid_api_key");
    assertProblem(await(f.request(HttpMethod.GET, "/admin/audit-events").send()), 401, "invalid_token");
  }

  // ---- retention

  @Test
  void retentionDeletesOnlyWhatIsDueInBatchesAlsoFromTwoNodesAtOnce() {
    String user = UUID.randomUUID().toString();
    f.execute("""
      INSERT INTO users.audit_events (id, time, type, user_id, outcome)
      SELECT gen_random_uuid(), now() - interval '91 days' - g * interval '1 minute', 'user.enabled', '%1$s'::uuid, 'success'
        FROM generate_series(1, 9) g;
      INSERT INTO users.audit_events (id, time, type, user_id, outcome)
      SELECT gen_random_uuid(), now() - interval '89 days' - g * interval '1 minute', 'user.disabled', '%1$s'::uuid, 'success'
        FROM generate_series(1, 4) g;
      """.formatted(user));
    Pool one = Database.pool(vertx, f.database);
    Pool two = Database.pool(vertx, f.database);
    try {
      // two nodes, batches of 2: together they delete each due event exactly once (this user's 9, and
      // any other test's that is older than 90 days)
      long due = (Long) f.rows("SELECT count(*) AS n FROM users.audit_events WHERE time < now() - interval '90 days'").get(0).get("n");
      assertThat(due).isGreaterThanOrEqualTo(9);
      Future<Integer> first = retention(one, 90, 2).runOnce().map(AuditEventsTest::deleted);
      Future<Integer> second = retention(two, 90, 2).runOnce().map(AuditEventsTest::deleted);
      await(Future.all(first, second));
      assertThat((long) first.result() + second.result()).isEqualTo(due);
      assertThat(f.rows("SELECT type FROM users.audit_events WHERE user_id = ?::uuid", user))
        .hasSize(4).allSatisfy(row -> assertThat(row.get("type")).isEqualTo("user.disabled"));
      // nothing due: nothing deleted
      assertThat(deleted(await(retention(one, 90, 1000).runOnce()))).isZero();
      // a shorter retention lets the others go
      assertThat(deleted(await(retention(one, 88, 1000).runOnce()))).isGreaterThanOrEqualTo(4);
      assertThat(f.rows("SELECT type FROM users.audit_events WHERE user_id = ?::uuid", user)).isEmpty();
    } finally {
      await(one.close());
      await(two.close());
    }
  }

  /** The audit trail's retention rule alone, run on demand: batches of {@code batch}, at most 20 a run. */
  private static RetentionJob retention(Pool pool, int days, int batch) {
    return new RetentionJob(pool, List.of(new AuditTrail(pool, "users").retention(Duration.ofDays(days))), Duration.ZERO, batch, 20,
      new SimpleMeterRegistry());
  }

  private static int deleted(List<RetentionJob.RuleRun> runs) {
    return runs.stream().mapToInt(RetentionJob.RuleRun::deleted).sum();
  }

  @Test
  void aStoredRowIsListedFieldForFieldToTheMicrosecond() {
    String user = UUID.randomUUID().toString();
    String session = UUID.randomUUID().toString();
    String eventId = UUID.randomUUID().toString();
    f.execute("""
      INSERT INTO users.audit_events (id, time, type, user_id, session_id, actor, ip, user_agent, request_id, outcome, reason)
      VALUES ('%s', timestamptz '2026-02-03T04:05:06.123456Z', 'roles.changed', '%s', '%s', 'key:0c9463c8', '10.0.0.9',
              'agent', 'rid-x', 'success', 'user')""".formatted(eventId, user, session));
    JsonObject listed = listOk("?userId=" + user).getJsonArray("items").getJsonObject(0);
    assertThat(listed).isEqualTo(new JsonObject().put("id", eventId).put("time", "2026-02-03T04:05:06.123456Z")
      .put("type", "roles.changed").put("userId", user).put("sessionId", session).put("actor", "key:0c9463c8")
      .put("ip", "10.0.0.9").put("userAgent", "agent").put("requestId", "rid-x").put("outcome", "success").put("reason", "user"));
  }
}
