package io.latchkey.user;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.latchkey.common.ApiException;
import io.latchkey.common.BusAddresses;
import io.latchkey.common.BusAuth;
import io.latchkey.common.BusClient;
import io.latchkey.common.Database;
import io.latchkey.common.audit.AuditTrail;
import io.latchkey.common.bus.Credentials;
import io.latchkey.common.bus.MfaCheck;
import io.latchkey.common.bus.MfaCheck.Method;
import io.latchkey.common.bus.MfaCheck.Result;
import io.latchkey.common.bus.UserNotice;
import io.latchkey.user.repo.MfaRepository;
import io.latchkey.user.repo.OutboxRepository;
import io.latchkey.user.repo.UserRepository;
import io.latchkey.user.service.MfaSecrets;
import io.latchkey.user.service.MfaService;
import io.latchkey.user.service.MfaSettings;
import io.latchkey.user.service.Totp;
import io.latchkey.user.testing.FakeAuthService;
import io.latchkey.user.testing.OnNode;
import io.latchkey.user.testing.UserServiceFixture;
import io.latchkey.user.testing.UserServiceTest;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.Message;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import io.vertx.sqlclient.Pool;
import org.apache.commons.codec.binary.Base32;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.latchkey.common.testing.Await.await;
import static io.latchkey.common.testing.Await.failure;
import static io.latchkey.user.testing.Problems.assertProblem;
import static io.latchkey.user.testing.UserServiceFixture.bearer;
import static io.latchkey.user.testing.UserServiceFixture.key;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The second factor end to end on two user nodes sharing one database: enrolment and
 * confirmation over HTTP with codes computed here from the answered secret, the auth service's
 * code check over the bus from a third node (acceptance, replay, races, stale challenges),
 * removal, regeneration, and what is stored, audited, noticed and logged.
 */
@UserServiceTest(nodes = 3, services = 2, fakeAuth = false)
class MfaApiTest {

  private static UserServiceFixture f;
  private static UserServiceFixture other;
  private static Vertx authNode;
  private static FakeAuthService auth;
  private static BusClient bus;
  private static final Totp CLOCK = new Totp(Clock.systemUTC());

  private ListAppender<ILoggingEvent> lines;

  /** An enrolled user: its id, bearer token, TOTP secret, recovery codes and the step its confirmation used. */
  private record Enrolled(String id, String username, String token, byte[] secret, List<String> recoveryCodes, long confirmedStep) {
  }

  @BeforeAll
  static void start(UserServiceFixture first, @OnNode(1) UserServiceFixture second, @OnNode(2) Vertx authSide) {
    f = first;
    other = second;
    authNode = authSide;
    // one fake auth service, on the auth side's node, so that every token is known wherever it is asked
    auth = new FakeAuthService(authNode, UserServiceFixture.KEYS);
    await(auth.startValidator());
    await(auth.startSync());
    await(auth.startPasswordChecks());
    bus = new BusClient(authNode.eventBus(), UserServiceFixture.KEYS, 3000, "user_service_unavailable", "user service");
  }

  @AfterAll
  static void stop() {
    await(auth.stopValidator().compose(v -> auth.stopSync()).compose(v -> auth.stopPasswordChecks()));
  }

  @BeforeEach
  void captureLogs() {
    Logger logger = (Logger) LoggerFactory.getLogger("io.latchkey");
    lines = new ListAppender<>();
    lines.start();
    logger.addAppender(lines);
  }

  @AfterEach
  void stopCapturing() {
    ((Logger) LoggerFactory.getLogger("io.latchkey")).detachAppender(lines);
  }

  // ---- helpers

  private static String password(String name) {
    return "correct horse " + name;
  }

  private static JsonObject registered(String name) {
    JsonObject user = f.register(name, name + "@example.com", password(name));
    return user.put("token", auth.issueToken(user.getString("id"), name, "user"));
  }

  private static HttpResponse<Buffer> call(UserServiceFixture node, HttpMethod method, String path, JsonObject body,
                                           Map<String, String> headers) {
    return node.send(method, path, body, headers);
  }

  private static JsonObject ok(HttpResponse<Buffer> response) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    return response.bodyAsJsonObject();
  }

  private static JsonObject currentPassword(String name) {
    return new JsonObject().put("currentPassword", password(name));
  }

  private static JsonObject code(String code) {
    return new JsonObject().put("code", code);
  }

  /**
   * Leaves at least 8 seconds before the next TOTP step begins (a Vert.x timer, no sleep): a test
   * that computes codes of the current step then checks them within one step.
   */
  private static void awayFromAStepBoundary() {
    long into = System.currentTimeMillis() % 30_000;
    if (into > 22_000) {
      await(authNode.timer(30_000 - into + 100), 15);
    }
  }

  /** Enrols and confirms with the code of the step before now (one step of drift): now and the next step stay unused. */
  private static Enrolled enrolled(String name) {
    JsonObject user = registered(name);
    String id = user.getString("id");
    String token = user.getString("token");
    awayFromAStepBoundary();
    JsonObject enrolment = ok(call(f, HttpMethod.POST, "/users/" + id + "/mfa/totp", currentPassword(name), bearer(token)));
    byte[] secret = new Base32().decode(enrolment.getString("secret"));
    long step = CLOCK.currentStep() - 1;
    JsonObject confirmed = ok(call(f, HttpMethod.POST, "/users/" + id + "/mfa/totp/confirm", code(CLOCK.code(secret, step)), bearer(token)));
    List<String> codes = confirmed.getJsonArray("recoveryCodes").stream().map(String::valueOf).toList();
    return new Enrolled(id, name, token, secret, codes, step);
  }

  private static MfaCheck.Answer check(String userId, long passwordVersion, Method method, String code) {
    return MfaCheck.Answer.fromJson(await(bus.request(BusAddresses.USER_MFA_CHECK,
      new MfaCheck(userId, passwordVersion, method, code).toJson(), "mfa-test-" + UUID.randomUUID())));
  }

  private static List<Result> concurrently(int n, String userId, Method method, String code) {
    List<Future<JsonObject>> calls = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      calls.add(bus.request(BusAddresses.USER_MFA_CHECK, new MfaCheck(userId, 1, method, code).toJson(), "mfa-race-" + i));
    }
    await(Future.join(calls), 30);
    return calls.stream().map(c -> MfaCheck.Answer.fromJson(c.result()).result()).toList();
  }

  private static List<UserNotice> notices(String userId, UserNotice.Type type) {
    return auth.applied().values().stream().filter(n -> n.userId().equals(userId) && n.type() == type).toList();
  }

  private static List<JsonObject> auditEvents(String userId, String type) {
    JsonObject page = ok(call(f, HttpMethod.GET, "/admin/audit-events?limit=100&userId=" + userId + "&type=" + type, null, key()));
    return page.getJsonArray("items").stream().map(o -> (JsonObject) o).toList();
  }

  private List<String> logged() {
    return lines.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
  }

  // ---- enrolment and confirmation over HTTP

  @Test
  void enrolConfirmAndTheUserShowsTheFactorButNeverItsSecret() {
    JsonObject user = registered("mfa_enrol");
    String id = user.getString("id");
    String token = user.getString("token");
    String before = user.getString("updatedAt");

    assertProblem(call(f, HttpMethod.POST, "/users/" + id + "/mfa/totp", new JsonObject().put("currentPassword", "wrong one"),
      bearer(token)), 403, "invalid_current_password");
    assertProblem(call(f, HttpMethod.POST, "/users/" + id + "/mfa/totp", new JsonObject(), bearer(token)), 403,
      "invalid_current_password");
    assertProblem(call(f, HttpMethod.POST, "/users/" + id + "/mfa/totp", currentPassword("mfa_enrol").put("secret", "mine"),
      bearer(token)), 400, "validation_failed");
    assertProblem(call(f, HttpMethod.POST, "/users/" + id + "/mfa/totp", new JsonObject().put("currentPassword", 42),
      bearer(token)), 400, "malformed_request");
    assertProblem(call(f, HttpMethod.POST, "/users/" + id + "/mfa/totp", new JsonObject().put("currentPassword", "a\u0000b"),
      bearer(token)), 400, "validation_failed");

    awayFromAStepBoundary();
    JsonObject first = ok(call(f, HttpMethod.POST, "/users/" + id + "/mfa/totp", currentPassword("mfa_enrol"), bearer(token)));
    assertThat(first.fieldNames()).containsExactlyInAnyOrder("secret", "otpauthUri");
    byte[] firstSecret = new Base32().decode(first.getString("secret"));
    assertThat(firstSecret).hasSize(20);
    // a new call while pending replaces the secret: the first one's code no longer confirms
    JsonObject second = ok(call(other, HttpMethod.POST, "/users/" + id + "/mfa/totp", currentPassword("mfa_enrol"), bearer(token)));
    assertThat(second.getString("secret")).isNotEqualTo(first.getString("secret"));
    URI uri = URI.create(second.getString("otpauthUri"));
    assertThat(uri.getScheme()).isEqualTo("otpauth");
    assertThat(uri.getPath()).isEqualTo("/Latchkey:mfa_enrol");
    assertThat(uri.getRawQuery()).isEqualTo("secret=" + second.getString("secret") + "&issuer=Latchkey&algorithm=SHA1&digits=6&period=30");
    byte[] secret = new Base32().decode(uri.getRawQuery().replaceAll("^secret=([A-Z2-7]+)&.*$", "$1"));
    assertThat(secret).isEqualTo(new Base32().decode(second.getString("secret")));
    long now = CLOCK.currentStep();
    String oldCode = CLOCK.code(firstSecret, now);
    if (!oldCode.equals(CLOCK.code(secret, now))) {
      assertProblem(call(f, HttpMethod.POST, "/users/" + id + "/mfa/totp/confirm", code(oldCode), bearer(token)), 400, "invalid_mfa_code");
    }
    assertProblem(call(f, HttpMethod.POST, "/users/" + id + "/mfa/totp/confirm", code("12345"), bearer(token)), 400, "invalid_mfa_code");
    assertProblem(call(f, HttpMethod.POST, "/users/" + id + "/mfa/totp/confirm", code("12345a"), bearer(token)), 400, "invalid_mfa_code");
    assertThat(ok(call(f, HttpMethod.GET, "/users/" + id, null, bearer(token))).getJsonArray("mfa")).as("pending is not enabled").isEmpty();

    JsonObject confirmed = ok(call(f, HttpMethod.POST, "/users/" + id + "/mfa/totp/confirm", code(CLOCK.code(secret, now)), bearer(token)));
    List<String> codes = confirmed.getJsonArray("recoveryCodes").stream().map(String::valueOf).toList();
    assertThat(codes).hasSize(10).doesNotHaveDuplicates().allMatch(c -> c.matches("[0-9a-z]{5}-[0-9a-z]{5}"));

    JsonObject shown = ok(call(other, HttpMethod.GET, "/users/" + id, null, bearer(token)));
    assertThat(shown.getJsonArray("mfa")).containsExactly("totp");
    assertThat(Instant.parse(shown.getString("updatedAt"))).as("enabling moves updatedAt").isAfter(Instant.parse(before));
    assertThat(shown.encode()).doesNotContain(second.getString("secret")).doesNotContain("recovery").doesNotContain(codes.get(0));
    assertProblem(call(f, HttpMethod.POST, "/users/" + id + "/mfa/totp", currentPassword("mfa_enrol"), bearer(token)), 409,
      "mfa_already_enabled");
    assertProblem(call(f, HttpMethod.POST, "/users/" + id + "/mfa/totp/confirm", code(CLOCK.code(secret, now + 1)), bearer(token)),
      409, "mfa_already_enabled");

    // what is stored: the flag on the user's row, a sealed secret, the confirming step used, ten hashes
    assertThat(f.userRow(id).get("totp_enabled")).isEqualTo(true);
    Map<String, Object> row = f.rows("SELECT * FROM users.mfa_totp WHERE user_id = ?::uuid", id).get(0);
    byte[] sealed = (byte[]) row.get("secret_sealed");
    String stored = new String(sealed, StandardCharsets.ISO_8859_1);
    assertThat(stored).doesNotContain(new String(secret, StandardCharsets.ISO_8859_1)).doesNotContain(second.getString("secret"));
    assertThat(HexFormat.of().formatHex(sealed)).doesNotContain(HexFormat.of().formatHex(secret));
    assertThat(row.get("last_used_step")).isEqualTo(now);
    assertThat(row.get("enabled_at")).isNotNull();
    List<Map<String, Object>> hashes = f.rows("SELECT code_hash FROM users.mfa_recovery_codes WHERE user_id = ?::uuid", id);
    assertThat(hashes).hasSize(10);
    for (Map<String, Object> hash : hashes) {
      String text = new String((byte[]) hash.get("code_hash"), StandardCharsets.ISO_8859_1).toLowerCase();
      codes.forEach(c -> assertThat(text).doesNotContain(c.replace("-", "")));
    }

    // the auth service heard of it, and the audit trail has it
    assertThat(notices(id, UserNotice.Type.MFA_ENABLED)).hasSize(1);
    List<JsonObject> events = auditEvents(id, "mfa.enabled");
    assertThat(events).hasSize(1);
    assertThat(events.get(0).getString("reason")).isEqualTo("totp");
    assertThat(events.get(0).getString("actor")).isEqualTo(id);
    assertThat(events.get(0).getString("sessionId")).isEqualTo(auth.sessionOf(token));
    assertThat(events.get(0).encode()).doesNotContain(second.getString("secret")).doesNotContain(codes.get(0));

    // no secret and no code in any log line
    for (String line : logged()) {
      assertThat(line).doesNotContain(first.getString("secret")).doesNotContain(second.getString("secret"))
        .doesNotContain(CLOCK.code(secret, now));
      codes.forEach(c -> assertThat(line).doesNotContain(c).doesNotContain(c.replace("-", "").toUpperCase()));
    }
    assertThat(logged()).anyMatch(l -> l.contains("TOTP enabled for user " + id));
  }

  @Test
  void fiveWrongConfirmingCodesDropTheEnrolment() {
    JsonObject user = registered("mfa_fivewrong");
    String id = user.getString("id");
    String token = user.getString("token");
    awayFromAStepBoundary();
    byte[] secret = new Base32().decode(ok(call(f, HttpMethod.POST, "/users/" + id + "/mfa/totp", currentPassword("mfa_fivewrong"),
      bearer(token))).getString("secret"));
    String right = CLOCK.code(secret, CLOCK.currentStep());
    String wrong = right.equals("000000") ? "000001" : "000000";
    for (int i = 1; i <= 4; i++) {
      HttpResponse<Buffer> answer = call(f, HttpMethod.POST, "/users/" + id + "/mfa/totp/confirm", code(wrong), bearer(token));
      assertProblem(answer, 400, "invalid_mfa_code");
      assertThat(f.rows("SELECT pending_failures FROM users.mfa_totp WHERE user_id = ?::uuid", id).get(0).get("pending_failures"))
        .isEqualTo(i);
    }
    HttpResponse<Buffer> fifth = call(f, HttpMethod.POST, "/users/" + id + "/mfa/totp/confirm", code(wrong), bearer(token));
    assertProblem(fifth, 400, "invalid_mfa_code");
    assertThat(fifth.bodyAsJsonObject().getString("detail")).contains("start again");
    assertThat(f.rows("SELECT 1 FROM users.mfa_totp WHERE user_id = ?::uuid", id)).isEmpty();
    HttpResponse<Buffer> late = call(f, HttpMethod.POST, "/users/" + id + "/mfa/totp/confirm", code(right), bearer(token));
    assertProblem(late, 400, "invalid_mfa_code");
    assertThat(late.bodyAsJsonObject().getString("detail")).contains("no pending enrolment");
    assertThat(f.userRow(id).get("totp_enabled")).isEqualTo(false);
  }

  @Test
  void onlyTheUserThemselvesEnrolsConfirmsAndRegenerates() {
    JsonObject user = registered("mfa_owner");
    String id = user.getString("id");
    JsonObject admin = registered("mfa_admin");
    String adminToken = auth.issueToken(admin.getString("id"), "mfa_admin", "user", "admin");
    String stranger = registered("mfa_stranger").getString("token");
    String[][] routes = {{"/mfa/totp", "currentPassword"}, {"/mfa/totp/confirm", "code"}, {"/mfa/recovery-codes", "currentPassword"}};
    for (String[] route : routes) {
      JsonObject body = new JsonObject().put(route[1], "123456");
      assertProblem(call(f, HttpMethod.POST, "/users/" + id + route[0], body, bearer(adminToken)), 403, "forbidden");
      assertProblem(call(f, HttpMethod.POST, "/users/" + id + route[0], body, key()), 403, "forbidden");
      assertProblem(call(f, HttpMethod.POST, "/users/" + id + route[0], body, bearer(stranger)), 403, "forbidden");
      assertProblem(call(f, HttpMethod.POST, "/users/" + UUID.randomUUID() + route[0], body, key()), 404, "user_not_found");
      assertProblem(call(f, HttpMethod.POST, "/users/not-a-uuid" + route[0], body, key()), 404, "user_not_found");
      assertProblem(call(f, HttpMethod.POST, "/users/" + id + route[0], body, Map.of()), 401, "invalid_token");
    }
    assertProblem(call(f, HttpMethod.DELETE, "/users/" + id + "/mfa/totp", null, bearer(stranger)), 403, "forbidden");
    assertThat(f.rows("SELECT 1 FROM users.mfa_totp WHERE user_id = ?::uuid", id)).isEmpty();
  }

  // ---- the code check on the bus

  @Test
  void aCodeIsAcceptedOnceWrongOnesAreRejectedAndAStaleChallengeIsStale() {
    Enrolled e = enrolled("mfa_check");
    long now = CLOCK.currentStep();
    assertThat(check(e.id(), 1, Method.TOTP, CLOCK.code(e.secret(), e.confirmedStep())).result())
      .as("the confirming step counts as used").isEqualTo(Result.REJECTED);
    MfaCheck.Answer accepted = check(e.id(), 1, Method.TOTP, CLOCK.code(e.secret(), now));
    assertThat(accepted.result()).isEqualTo(Result.ACCEPTED);
    Credentials credentials = accepted.credentials();
    assertThat(credentials.userId()).isEqualTo(e.id());
    assertThat(credentials.mfa()).containsExactly("totp");
    assertThat(credentials.passwordVersion()).isEqualTo(1);
    assertThat(check(e.id(), 1, Method.TOTP, CLOCK.code(e.secret(), now)).result()).as("replayed").isEqualTo(Result.REJECTED);
    String next = CLOCK.code(e.secret(), now + 1);
    String wrong = next.equals("999999") ? "999998" : "999999";
    assertThat(check(e.id(), 1, Method.TOTP, wrong).result()).isEqualTo(Result.REJECTED);
    assertThat(check(e.id(), 1, Method.TOTP, "12345").result()).isEqualTo(Result.REJECTED);
    assertThat(check(e.id(), 1, Method.RECOVERY_CODE, "not-a-code").result()).isEqualTo(Result.REJECTED);
    assertThat(check(e.id(), 2, Method.TOTP, next).result()).as("another password version").isEqualTo(Result.STALE);
    assertThat(check(UUID.randomUUID().toString(), 1, Method.TOTP, next).result()).as("unknown user").isEqualTo(Result.STALE);
    assertThat(check("nope", 1, Method.TOTP, next).result()).isEqualTo(Result.STALE);
    assertThat(check(e.id(), 1, Method.TOTP, next).result()).as("one step ahead, unused").isEqualTo(Result.ACCEPTED);

    String recovery = e.recoveryCodes().get(3);
    assertThat(check(e.id(), 1, Method.RECOVERY_CODE, recovery.toUpperCase().replace("-", " ")).result()).isEqualTo(Result.ACCEPTED);
    assertThat(check(e.id(), 1, Method.RECOVERY_CODE, recovery).result()).as("used").isEqualTo(Result.REJECTED);
    assertThat(f.rows("SELECT 1 FROM users.mfa_recovery_codes WHERE user_id = ?::uuid AND used_at IS NOT NULL", e.id())).hasSize(1);

    ok(call(f, HttpMethod.POST, "/users/" + e.id() + "/disable", null, key()));
    assertThat(check(e.id(), 1, Method.RECOVERY_CODE, e.recoveryCodes().get(4)).result()).as("disabled").isEqualTo(Result.STALE);
    ok(call(f, HttpMethod.POST, "/users/" + e.id() + "/enable", null, key()));
    assertThat(call(f, HttpMethod.DELETE, "/users/" + e.id() + "/mfa/totp", null, key()).statusCode()).isEqualTo(204);
    assertThat(check(e.id(), 1, Method.RECOVERY_CODE, e.recoveryCodes().get(4)).result()).as("factor removed").isEqualTo(Result.STALE);

    List<String> log = logged();
    assertThat(log).anyMatch(l -> l.contains("second-factor check (totp) of user " + e.id() + ": accepted"));
    for (String line : log) {
      assertThat(line).doesNotContain(next).doesNotContain(recovery).doesNotContain(Totp.base32(e.secret()));
    }
  }

  @Test
  void racingChecksOfOneCodeAcrossBothUserNodesGiveOneAcceptance() {
    Enrolled e = enrolled("mfa_race");
    // both user nodes consume the address: the requests are spread over them
    String recovery = e.recoveryCodes().get(0);
    assertThat(concurrently(8, e.id(), Method.RECOVERY_CODE, recovery)).containsOnlyOnce(Result.ACCEPTED)
      .filteredOn(r -> r != Result.ACCEPTED).containsOnly(Result.REJECTED);
    String totp = CLOCK.code(e.secret(), CLOCK.currentStep());
    assertThat(concurrently(8, e.id(), Method.TOTP, totp)).containsOnlyOnce(Result.ACCEPTED)
      .filteredOn(r -> r != Result.ACCEPTED).containsOnly(Result.REJECTED);
    // and a replay sent one after another, to whichever node, stays refused
    for (int i = 0; i < 4; i++) {
      assertThat(check(e.id(), 1, Method.TOTP, totp).result()).isEqualTo(Result.REJECTED);
    }
  }

  /**
   * Two user nodes, each with its own pool and a clock set by the test: a step accepted on one
   * is refused on the other, and drift is one step either way, never two.
   */
  @Test
  void replayIsRefusedAcrossTwoNodesAndDriftIsOneStep(@OnNode(1) Vertx second) {
    Enrolled e = enrolled("mfa_nodes");
    long now = CLOCK.currentStep() + 1000;
    Clock later = Clock.fixed(Instant.ofEpochSecond(now * 30 + 11), ZoneOffset.UTC);
    Pool poolA = Database.pool(f.vertx, f.database);
    Pool poolB = Database.pool(second, f.database);
    try {
      MfaService nodeA = service(poolA, later);
      MfaService nodeB = service(poolB, later);
      assertThat(checkOn(nodeA, e, CLOCK.code(e.secret(), now - 2))).as("two steps behind").isEqualTo(Result.REJECTED);
      assertThat(checkOn(nodeB, e, CLOCK.code(e.secret(), now + 2))).as("two steps ahead").isEqualTo(Result.REJECTED);
      assertThat(checkOn(nodeA, e, CLOCK.code(e.secret(), now - 1))).as("one step behind").isEqualTo(Result.ACCEPTED);
      assertThat(checkOn(nodeB, e, CLOCK.code(e.secret(), now - 1))).as("the same step on the other node").isEqualTo(Result.REJECTED);
      assertThat(checkOn(nodeB, e, CLOCK.code(e.secret(), now + 1))).as("one step ahead").isEqualTo(Result.ACCEPTED);
      assertThat(checkOn(nodeA, e, CLOCK.code(e.secret(), now))).as("an earlier step after a later one").isEqualTo(Result.REJECTED);
      assertThat(f.rows("SELECT last_used_step FROM users.mfa_totp WHERE user_id = ?::uuid", e.id()).get(0).get("last_used_step"))
        .isEqualTo(now + 1);
    } finally {
      await(poolA.close());
      await(poolB.close());
    }
  }

  private static MfaService service(Pool pool, Clock clock) {
    // the check needs neither the password path nor the outbox relay
    return new MfaService(pool, new UserRepository(), new MfaRepository(), new OutboxRepository(), null, null,
      new MfaSecrets(MfaSettings.from(new io.latchkey.common.Settings(null, Map.of()), io.latchkey.common.Profile.DEVELOPMENT).keys()),
      new Totp(clock), "Latchkey", new AuditTrail(pool, UserModule.SCHEMA));
  }

  private static Result checkOn(MfaService node, Enrolled e, String code) {
    return await(node.check(new MfaCheck(e.id(), 1, Method.TOTP, code), "node-test")).result();
  }

  @Test
  void anUnsignedOrReplayedBusMessageIsRefused() {
    Enrolled e = enrolled("mfa_signed");
    JsonObject body = new MfaCheck(e.id(), 1, Method.RECOVERY_CODE, e.recoveryCodes().get(0)).toJson();
    ReplyException unsigned = (ReplyException) failure(authNode.eventBus().request(BusAddresses.USER_MFA_CHECK, body,
      new DeliveryOptions().setSendTimeout(3000)));
    assertThat(unsigned.failureCode()).isEqualTo(401);
    assertThat(unsigned.getMessage()).contains("invalid_api_key");

    DeliveryOptions signed = new BusAuth(UserServiceFixture.KEYS).signRequest(BusAddresses.USER_MFA_CHECK, body, "mfa-replay");
    Message<JsonObject> first = await(authNode.eventBus().request(BusAddresses.USER_MFA_CHECK, body, signed.setSendTimeout(3000)));
    assertThat(first.body().getString("result")).isEqualTo("accepted");
    // the same signed message again: whichever node gets it refuses it (the nonce, or the used code)
    Throwable replayed = failure(authNode.eventBus().<JsonObject>request(BusAddresses.USER_MFA_CHECK, body, signed)
      .compose(reply -> reply.body().getString("result").equals("rejected") ? Future.failedFuture(new ReplyException(
        io.vertx.core.eventbus.ReplyFailure.RECIPIENT_FAILURE, 401, "rejected by the used code")) : Future.succeededFuture(reply)));
    assertThat(replayed).isInstanceOf(ReplyException.class);
    assertThat(((ReplyException) replayed).failureCode()).isEqualTo(401);
    ApiException malformed = (ApiException) failure(bus.request(BusAddresses.USER_MFA_CHECK,
      new JsonObject().put("userId", e.id()).put("method", "sms").put("code", "1").put("passwordVersion", 1), "mfa-bad"));
    assertThat(malformed.status()).isEqualTo(400);
  }

  // ---- removal and regeneration

  @Test
  void theUserRemovesTheFactorWithTheirPasswordAndKeepsTheirSession() {
    Enrolled e = enrolled("mfa_remove");
    String path = "/users/" + e.id() + "/mfa/totp";
    assertProblem(call(f, HttpMethod.DELETE, path, new JsonObject().put("currentPassword", "wrong"), bearer(e.token())), 403,
      "invalid_current_password");
    assertProblem(call(f, HttpMethod.DELETE, path, null, bearer(e.token())), 403, "invalid_current_password");
    assertProblem(call(f, HttpMethod.DELETE, path, currentPassword(e.username()).put("x", 1), bearer(e.token())), 400, "validation_failed");
    assertThat(f.userRow(e.id()).get("totp_enabled")).isEqualTo(true);
    String before = ok(call(f, HttpMethod.GET, "/users/" + e.id(), null, bearer(e.token()))).getString("updatedAt");

    assertThat(call(other, HttpMethod.DELETE, path, currentPassword(e.username()), bearer(e.token())).statusCode()).isEqualTo(204);
    JsonObject shown = ok(call(f, HttpMethod.GET, "/users/" + e.id(), null, bearer(e.token())));
    assertThat(shown.getJsonArray("mfa")).isEmpty();
    assertThat(Instant.parse(shown.getString("updatedAt"))).isAfter(Instant.parse(before));
    assertThat(f.userRow(e.id()).get("totp_enabled")).isEqualTo(false);
    assertThat(f.rows("SELECT 1 FROM users.mfa_totp WHERE user_id = ?::uuid", e.id())).isEmpty();
    assertThat(f.rows("SELECT 1 FROM users.mfa_recovery_codes WHERE user_id = ?::uuid", e.id())).isEmpty();
    List<UserNotice> removed = notices(e.id(), UserNotice.Type.MFA_REMOVED);
    assertThat(removed).hasSize(1);
    assertThat(removed.get(0).keepSessionId()).as("the caller's session stays").isEqualTo(auth.sessionOf(e.token()));
    List<JsonObject> events = auditEvents(e.id(), "mfa.removed");
    assertThat(events).hasSize(1);
    assertThat(events.get(0).getString("actor")).isEqualTo(e.id());
    assertThat(events.get(0).getString("outcome")).isEqualTo("success");

    assertProblem(call(f, HttpMethod.DELETE, path, currentPassword(e.username()), bearer(e.token())), 404, "mfa_not_enabled");
    // a pending enrolment alone is not enabled: it is dropped
    ok(call(f, HttpMethod.POST, path, currentPassword(e.username()), bearer(e.token())));
    assertProblem(call(f, HttpMethod.DELETE, path, currentPassword(e.username()), bearer(e.token())), 404, "mfa_not_enabled");
    assertThat(f.rows("SELECT 1 FROM users.mfa_totp WHERE user_id = ?::uuid", e.id())).isEmpty();
  }

  @Test
  void anAdminRemovesAnotherUsersFactorWithoutAPassword() {
    Enrolled e = enrolled("mfa_adminrm");
    JsonObject admin = registered("mfa_adminrm_a");
    String adminToken = auth.issueToken(admin.getString("id"), "mfa_adminrm_a", "user", "admin");
    assertThat(call(f, HttpMethod.DELETE, "/users/" + e.id() + "/mfa/totp", null, bearer(adminToken)).statusCode()).isEqualTo(204);
    List<UserNotice> removed = notices(e.id(), UserNotice.Type.MFA_REMOVED);
    assertThat(removed).hasSize(1);
    assertThat(removed.get(0).keepSessionId()).as("an admin's session is not the user's").isNull();
    assertThat(auditEvents(e.id(), "mfa.removed").get(0).getString("actor")).isEqualTo(admin.getString("id"));
    assertProblem(call(f, HttpMethod.DELETE, "/users/" + e.id() + "/mfa/totp", null, key()), 404, "mfa_not_enabled");
    assertProblem(call(f, HttpMethod.DELETE, "/users/" + UUID.randomUUID() + "/mfa/totp", null, key()), 404, "user_not_found");
  }

  @Test
  void regenerationReplacesTheRecoveryCodes() {
    JsonObject plain = registered("mfa_regen_none");
    assertProblem(call(f, HttpMethod.POST, "/users/" + plain.getString("id") + "/mfa/recovery-codes", currentPassword("mfa_regen_none"),
      bearer(plain.getString("token"))), 404, "mfa_not_enabled");

    Enrolled e = enrolled("mfa_regen");
    String path = "/users/" + e.id() + "/mfa/recovery-codes";
    assertProblem(call(f, HttpMethod.POST, path, new JsonObject().put("currentPassword", "wrong"), bearer(e.token())), 403,
      "invalid_current_password");
    List<String> fresh = ok(call(f, HttpMethod.POST, path, currentPassword(e.username()), bearer(e.token())))
      .getJsonArray("recoveryCodes").stream().map(String::valueOf).toList();
    assertThat(fresh).hasSize(10).doesNotHaveDuplicates().doesNotContainAnyElementsOf(e.recoveryCodes());
    assertThat(check(e.id(), 1, Method.RECOVERY_CODE, e.recoveryCodes().get(0)).result()).as("an old code").isEqualTo(Result.REJECTED);
    assertThat(check(e.id(), 1, Method.RECOVERY_CODE, fresh.get(0)).result()).isEqualTo(Result.ACCEPTED);
    List<JsonObject> events = auditEvents(e.id(), "mfa.enabled");
    assertThat(events).extracting(ev -> ev.getString("reason")).containsExactly("recovery_codes_regenerated", "totp");
    assertThat(notices(e.id(), UserNotice.Type.MFA_ENABLED)).as("regeneration sends no notice").hasSize(1);
    for (String line : logged()) {
      fresh.forEach(c -> assertThat(line).doesNotContain(c));
    }
  }
}
