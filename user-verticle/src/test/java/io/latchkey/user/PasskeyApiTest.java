package io.latchkey.user;

import io.latchkey.common.ApiException;
import io.latchkey.common.BusAddresses;
import io.latchkey.common.BusClient;
import io.latchkey.common.bus.PasskeyCheck;
import io.latchkey.common.bus.PasskeyCheck.Answer;
import io.latchkey.common.bus.PasskeyCheck.Result;
import io.latchkey.user.testing.CapturedLogs;
import io.latchkey.user.testing.TestAuthenticator;
import io.latchkey.user.testing.UserServiceFixture;
import io.latchkey.user.testing.UserServiceTest;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.eventbus.DeliveryOptions;
import io.vertx.core.eventbus.ReplyException;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
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
 * Passkeys on the user service: registration over HTTP with credentials a software
 * authenticator makes ({@link TestAuthenticator}), listing, renaming and removal, and the
 * assertion check the auth service asks for over the bus (acceptance, every refusal, counters,
 * races), with what is stored and audited. The relying party is the default one: RP ID
 * {@code localhost}, origin {@code http://localhost:8082}.
 */
@UserServiceTest
class PasskeyApiTest {

  private static final String RP_ID = "localhost";
  private static final String ORIGIN = "http://localhost:8082";

  private static UserServiceFixture f;
  private static BusClient bus;
  private CapturedLogs lines;

  /** A user with a bearer token. */
  private record Account(String id, String username, String token) {
  }

  /** A registered passkey: its owner, its id, the authenticator holding its key, the owner's user handle. */
  private record Registered(Account account, String passkeyId, TestAuthenticator authenticator, String userHandle) {
  }

  @BeforeAll
  static void start(UserServiceFixture fixture, Vertx vertx) {
    f = fixture;
    bus = new BusClient(vertx.eventBus(), UserServiceFixture.KEYS, 3000, "user_service_unavailable", "user service");
  }

  @BeforeEach
  void captureLogs() {
    lines = new CapturedLogs();
  }

  @AfterEach
  void stopCapturing() {
    lines.close();
  }

  // ---- helpers

  private static Account account(String name, String... roles) {
    JsonObject created = f.userWithToken(name, roles);
    return new Account(created.getJsonObject("user").getString("id"), name, created.getString("token"));
  }

  private static JsonObject options(Account a) {
    HttpResponse<Buffer> response = f.send(HttpMethod.POST, "/users/" + a.id() + "/passkeys/registration-options", null,
      bearer(a.token()));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    return response.bodyAsJsonObject();
  }

  private static HttpResponse<Buffer> add(Account a, String name, Object credential) {
    return f.send(HttpMethod.POST, "/users/" + a.id() + "/passkeys", new JsonObject().put("name", name).put("credential", credential),
      bearer(a.token()));
  }

  private static Registered registered(Account a) {
    TestAuthenticator authenticator = new TestAuthenticator();
    JsonObject options = options(a);
    HttpResponse<Buffer> response = add(a, "Laptop", authenticator.registration(options.getString("challenge"), ORIGIN, RP_ID));
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(201);
    return new Registered(a, response.bodyAsJsonObject().getString("id"), authenticator,
      options.getJsonObject("user").getString("id"));
  }

  private static List<JsonObject> listed(Account a, Map<String, String> headers) {
    HttpResponse<Buffer> response = f.send(HttpMethod.GET, "/users/" + a.id() + "/passkeys", null, headers);
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    return response.bodyAsJsonObject().getJsonArray("items").stream().map(o -> (JsonObject) o).toList();
  }

  private static Answer check(String challenge, JsonObject assertion) {
    return Answer.fromJson(await(bus.request(BusAddresses.USER_PASSKEY_CHECK, new PasskeyCheck(challenge, assertion).toJson(),
      "passkey-test-" + UUID.randomUUID())));
  }

  private static Answer check(Registered r, long counter) {
    String challenge = TestAuthenticator.challenge();
    return check(challenge, r.authenticator().assertion(challenge, ORIGIN, RP_ID, counter, r.userHandle()));
  }

  private static Map<String, Object> passkeyRow(String passkeyId) {
    return f.rows("SELECT sign_count, last_used_at, name FROM users.passkeys WHERE id = ?::uuid", passkeyId).get(0);
  }

  private static List<JsonObject> auditEvents(String userId, String type) {
    HttpResponse<Buffer> response = f.send(HttpMethod.GET, "/admin/audit-events?limit=100&userId=" + userId + "&type=" + type, null,
      key());
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    return response.bodyAsJsonObject().getJsonArray("items").stream().map(o -> (JsonObject) o).toList();
  }

  private List<String> logged() {
    return lines.lines();
  }

  // ---- registration

  @Test
  void registrationOptionsAreTheWebAuthnCreationOptionsWithARandomUserHandle() {
    Account a = account("pk_options");
    JsonObject options = options(a);

    assertThat(options.getJsonObject("rp")).isEqualTo(new JsonObject().put("id", RP_ID).put("name", "Latchkey"));
    JsonObject user = options.getJsonObject("user");
    assertThat(user.getString("name")).isEqualTo("pk_options");
    assertThat(user.getString("displayName")).isEqualTo("pk_options");
    byte[] handle = java.util.Base64.getUrlDecoder().decode(user.getString("id"));
    assertThat(handle).hasSize(32);
    assertThat(user.getString("id")).doesNotContain(a.id()).doesNotContain("=");
    assertThat(java.util.Base64.getUrlDecoder().decode(options.getString("challenge"))).hasSize(32);
    assertThat(options.getJsonArray("pubKeyCredParams").stream().map(o -> ((JsonObject) o).getInteger("alg")).toList())
      .containsExactly(-7, -257, -8);
    assertThat(options.getLong("timeout")).isEqualTo(300_000L);
    assertThat(options.getString("attestation")).isEqualTo("none");
    assertThat(options.getJsonObject("authenticatorSelection")).isEqualTo(new JsonObject().put("residentKey", "required")
      .put("requireResidentKey", true).put("userVerification", "required"));
    assertThat(options.getJsonArray("excludeCredentials")).isEmpty();

    JsonObject again = options(a);
    assertThat(again.getJsonObject("user").getString("id")).as("one handle per user").isEqualTo(user.getString("id"));
    assertThat(again.getString("challenge")).isNotEqualTo(options.getString("challenge"));
    assertThat(f.rows("SELECT count(*) AS n FROM users.passkey_challenges WHERE user_id = ?::uuid", a.id()).get(0).get("n"))
      .isEqualTo(2L);
  }

  @Test
  void aRegisteredPasskeyIsListedRenamedAndRemoved() {
    Account a = account("pk_lifecycle");
    Registered r = registered(a);

    List<JsonObject> items = listed(a, bearer(a.token()));
    assertThat(items).hasSize(1);
    assertThat(items.get(0).fieldNames()).containsExactlyInAnyOrder("id", "name", "createdAt", "lastUsedAt");
    assertThat(items.get(0).getString("id")).isEqualTo(r.passkeyId());
    assertThat(items.get(0).getString("name")).isEqualTo("Laptop");
    assertThat(items.get(0).getValue("lastUsedAt")).isNull();
    assertThat(options(a).getJsonArray("excludeCredentials").getJsonObject(0).getString("id"))
      .isEqualTo(r.authenticator().credentialId());
    assertThat(auditEvents(a.id(), "passkey.added")).hasSize(1);

    HttpResponse<Buffer> renamed = f.send(HttpMethod.PATCH, "/users/" + a.id() + "/passkeys/" + r.passkeyId(),
      new JsonObject().put("name", "  Work phone "), bearer(a.token()));
    assertThat(renamed.statusCode()).as(renamed.bodyAsString()).isEqualTo(200);
    assertThat(renamed.bodyAsJsonObject().getString("name")).isEqualTo("Work phone");
    assertProblem(f.send(HttpMethod.PATCH, "/users/" + a.id() + "/passkeys/" + r.passkeyId(), new JsonObject().put("name", " "),
      bearer(a.token())), 400, "validation_failed");

    assertThat(f.send(HttpMethod.DELETE, "/users/" + a.id() + "/passkeys/" + r.passkeyId(), null, bearer(a.token())).statusCode())
      .isEqualTo(204);
    assertProblem(f.send(HttpMethod.DELETE, "/users/" + a.id() + "/passkeys/" + r.passkeyId(), null, bearer(a.token())),
      404, "passkey_not_found");
    assertThat(listed(a, bearer(a.token()))).isEmpty();
    assertThat(auditEvents(a.id(), "passkey.removed")).hasSize(1);
    assertThat(check(r, 1).result()).as("a removed passkey signs nobody in").isEqualTo(Result.REJECTED);
  }

  @Test
  void aCredentialThatDoesNotVerifyIsInvalidPasskey() {
    Account a = account("pk_refusals");
    TestAuthenticator authenticator = new TestAuthenticator();

    // a challenge this service never issued
    options(a);
    assertProblem(add(a, "Key", authenticator.registration(TestAuthenticator.challenge(), ORIGIN, RP_ID)), 400, "invalid_passkey");
    // another origin, another RP ID, no user verification, no user presence
    assertProblem(add(a, "Key", authenticator.registration(options(a).getString("challenge"), "http://evil.example:8082", RP_ID)),
      400, "invalid_passkey");
    assertProblem(add(a, "Key", authenticator.registration(options(a).getString("challenge"), ORIGIN, "evil.example")),
      400, "invalid_passkey");
    assertProblem(add(a, "Key", authenticator.registration(options(a).getString("challenge"), ORIGIN, RP_ID, TestAuthenticator.UP)),
      400, "invalid_passkey");
    assertProblem(add(a, "Key", authenticator.registration(options(a).getString("challenge"), ORIGIN, RP_ID, TestAuthenticator.UV)),
      400, "invalid_passkey");
    // tampered client data: not JSON any more
    JsonObject tampered = authenticator.registration(options(a).getString("challenge"), ORIGIN, RP_ID);
    tampered.getJsonObject("response").put("clientDataJSON", TestAuthenticator.base64url("{\"type\":".getBytes()));
    assertProblem(add(a, "Key", tampered), 400, "invalid_passkey");
    // not a credential at all
    assertProblem(add(a, "Key", "a string"), 400, "invalid_passkey");
    assertProblem(add(a, "Key", new JsonObject().put("id", "x")), 400, "invalid_passkey");
    assertThat(listed(a, bearer(a.token()))).isEmpty();
    assertThat(auditEvents(a.id(), "passkey.added")).isEmpty();
    assertThat(logged()).noneMatch(line -> line.contains("attestationObject") || line.contains("clientDataJSON"));
  }

  @Test
  void aChallengeWorksOnceAndACredentialIdOnce() {
    Account a = account("pk_once");
    String challenge = options(a).getString("challenge");
    assertThat(add(a, "One", new TestAuthenticator().registration(challenge, ORIGIN, RP_ID)).statusCode()).isEqualTo(201);
    assertProblem(add(a, "Two", new TestAuthenticator().registration(challenge, ORIGIN, RP_ID)), 400, "invalid_passkey");

    // the same authenticator again, with a fresh challenge: its credential id is taken
    Registered r = registered(account("pk_dup"));
    Account b = account("pk_dup_other");
    assertProblem(add(b, "Again", r.authenticator().registration(options(b).getString("challenge"), ORIGIN, RP_ID)),
      400, "invalid_passkey");
    assertProblem(add(r.account(), "Again", r.authenticator().registration(options(r.account()).getString("challenge"), ORIGIN, RP_ID)),
      400, "invalid_passkey");

    // another user's challenge is not yours
    Account c = account("pk_not_yours");
    String others = options(a).getString("challenge");
    assertProblem(add(c, "Key", new TestAuthenticator().registration(others, ORIGIN, RP_ID)), 400, "invalid_passkey");
  }

  @Test
  void aNameIsTrimmedCleanAndAtMost64Characters() {
    Account a = account("pk_names");
    TestAuthenticator authenticator = new TestAuthenticator();
    for (String bad : new String[] {"", "   ", "x".repeat(65), "bad\u0000name"}) {
      assertProblem(add(a, bad, authenticator.registration(options(a).getString("challenge"), ORIGIN, RP_ID)), 400, "validation_failed");
    }
    HttpResponse<Buffer> ok = add(a, " " + "y".repeat(64) + " ", authenticator.registration(options(a).getString("challenge"), ORIGIN,
      RP_ID));
    assertThat(ok.statusCode()).as(ok.bodyAsString()).isEqualTo(201);
    assertThat(ok.bodyAsJsonObject().getString("name")).isEqualTo("y".repeat(64));
  }

  @Test
  void onlyTheUserRegistersAndAnAdminListsAndRemoves() {
    Registered r = registered(account("pk_owner"));
    Account owner = r.account();
    Account other = account("pk_stranger");
    Account admin = account("pk_admin", "admin");

    assertProblem(f.send(HttpMethod.POST, "/users/" + owner.id() + "/passkeys/registration-options", null, bearer(other.token())),
      403, "forbidden");
    assertProblem(f.send(HttpMethod.POST, "/users/" + owner.id() + "/passkeys/registration-options", null, bearer(admin.token())),
      403, "forbidden");
    assertProblem(f.send(HttpMethod.GET, "/users/" + owner.id() + "/passkeys", null, bearer(other.token())), 403, "forbidden");
    assertProblem(f.send(HttpMethod.DELETE, "/users/" + owner.id() + "/passkeys/" + r.passkeyId(), null, bearer(other.token())),
      403, "forbidden");
    // another user's passkey id under your own id is not yours either
    assertProblem(f.send(HttpMethod.DELETE, "/users/" + other.id() + "/passkeys/" + r.passkeyId(), null, bearer(other.token())),
      404, "passkey_not_found");
    assertProblem(f.send(HttpMethod.GET, "/users/" + owner.id() + "/passkeys", null, Map.of()), 401, "invalid_token");

    assertThat(listed(owner, bearer(admin.token()))).hasSize(1);
    assertThat(f.send(HttpMethod.DELETE, "/users/" + owner.id() + "/passkeys/" + r.passkeyId(), null, bearer(admin.token()))
      .statusCode()).isEqualTo(204);
    assertThat(listed(owner, bearer(owner.token()))).isEmpty();
    assertThat(auditEvents(owner.id(), "passkey.removed")).singleElement()
      .satisfies(e -> assertThat(e.getString("actor")).isEqualTo(admin.id()));
  }

  // ---- the bus check

  @Test
  void aValidAssertionIsAcceptedAndItsCounterAndTimeRecorded() {
    Registered r = registered(account("pk_login"));
    Answer answer = check(r, 7);

    assertThat(answer.result()).isEqualTo(Result.ACCEPTED);
    assertThat(answer.userId()).isEqualTo(r.account().id());
    assertThat(answer.passkeyId()).isEqualTo(r.passkeyId());
    assertThat(answer.credentials().username()).isEqualTo("pk_login");
    assertThat(answer.credentials().disabled()).isFalse();
    Map<String, Object> row = passkeyRow(r.passkeyId());
    assertThat(row.get("sign_count")).isEqualTo(7L);
    assertThat(row.get("last_used_at")).isNotNull();
    assertThat(listed(r.account(), bearer(r.account().token())).get(0).getString("lastUsedAt")).isNotNull();

    // without a user handle the credential id alone finds the passkey
    String challenge = TestAuthenticator.challenge();
    assertThat(check(challenge, r.authenticator().assertion(challenge, ORIGIN, RP_ID, 8, null)).result()).isEqualTo(Result.ACCEPTED);
    assertThat(logged()).noneMatch(line -> line.contains("authenticatorData") || line.contains("signature\""));
  }

  @Test
  void aCounterThatDoesNotGoUpIsRefusedAndAudited() {
    Registered r = registered(account("pk_counter"));
    String challenge = TestAuthenticator.challenge();
    JsonObject assertion = r.authenticator().assertion(challenge, ORIGIN, RP_ID, 5, r.userHandle());
    assertThat(check(challenge, assertion).result()).isEqualTo(Result.ACCEPTED);

    Answer replayed = check(challenge, assertion);
    assertThat(replayed.result()).isEqualTo(Result.REJECTED);
    assertThat(replayed.userId()).isEqualTo(r.account().id());
    assertThat(replayed.reason()).isEqualTo("counter_regressed");
    assertThat(check(r, 4).reason()).isEqualTo("counter_regressed");
    assertThat(passkeyRow(r.passkeyId()).get("sign_count")).isEqualTo(5L);
    assertThat(auditEvents(r.account().id(), "passkey.login")).hasSize(2).allSatisfy(e -> {
      assertThat(e.getString("outcome")).isEqualTo("failure");
      assertThat(e.getString("reason")).isEqualTo("counter_regressed");
    });
    assertThat(check(r, 6).result()).as("the next counter works").isEqualTo(Result.ACCEPTED);
  }

  @Test
  void anAssertionThatDoesNotVerifyIsRejectedWithItsReason() {
    Registered r = registered(account("pk_bad"));
    String id = r.account().id();
    String challenge = TestAuthenticator.challenge();
    TestAuthenticator a = r.authenticator();

    Answer unknown = check(challenge, new TestAuthenticator().assertion(challenge, ORIGIN, RP_ID, 1, null));
    assertThat(unknown.result()).isEqualTo(Result.REJECTED);
    assertThat(unknown.userId()).isNull();
    assertThat(unknown.reason()).isEqualTo("unknown_credential");

    // signed by another key under this credential id
    JsonObject forged = new TestAuthenticator().assertion(challenge, ORIGIN, RP_ID, 1, r.userHandle())
      .put("id", a.credentialId()).put("rawId", a.credentialId());
    assertRejected(check(challenge, forged), id, "bad_signature");
    assertRejected(check(TestAuthenticator.challenge(), a.assertion(challenge, ORIGIN, RP_ID, 1, r.userHandle())), id,
      "challenge_mismatch");
    assertRejected(check(challenge, a.assertion(challenge, "http://evil.example:8082", RP_ID, 1, r.userHandle())), id,
      "origin_mismatch");
    assertRejected(check(challenge, a.assertion(challenge, ORIGIN, "evil.example", 1, r.userHandle())), id, "rp_id_mismatch");
    assertRejected(check(challenge, a.assertion(challenge, ORIGIN, RP_ID, TestAuthenticator.UP, 1, r.userHandle())), id,
      "user_not_verified");
    assertRejected(check(challenge, a.assertion(challenge, ORIGIN, RP_ID, 1, TestAuthenticator.base64url(new byte[32]))), id,
      "unknown_credential");
    Answer malformed = check(challenge, new JsonObject().put("id", "x"));
    assertThat(malformed.result()).isEqualTo(Result.REJECTED);
    assertThat(malformed.reason()).isEqualTo("malformed");

    Map<String, Object> row = passkeyRow(r.passkeyId());
    assertThat(row.get("sign_count")).as("nothing was recorded").isEqualTo(0L);
    assertThat(row.get("last_used_at")).isNull();
  }

  private static void assertRejected(Answer answer, String userId, String reason) {
    assertThat(answer.result()).isEqualTo(Result.REJECTED);
    assertThat(answer.userId()).isEqualTo(userId);
    assertThat(answer.reason()).isEqualTo(reason);
    assertThat(answer.credentials()).isNull();
  }

  @Test
  void aDisabledUsersValidAssertionIsAcceptedWithDisabledCredentials() {
    Registered r = registered(account("pk_disabled"));
    HttpResponse<Buffer> disabled = f.send(HttpMethod.POST, "/users/" + r.account().id() + "/disable", null, key());
    assertThat(disabled.statusCode()).as(disabled.bodyAsString()).isEqualTo(200);

    Answer answer = check(r, 1);
    assertThat(answer.result()).isEqualTo(Result.ACCEPTED);
    assertThat(answer.credentials().disabled()).isTrue();
  }

  /** With a counter in use (an authenticator whose counter stays 0 relies on the auth service's single-use challenge). */
  @Test
  void racingChecksOfOneAssertionGiveOneAcceptance() {
    for (long counter : new long[] {1, 3}) {
      Registered r = registered(account("pk_race_" + counter));
      String challenge = TestAuthenticator.challenge();
      JsonObject assertion = r.authenticator().assertion(challenge, ORIGIN, RP_ID, counter, r.userHandle());
      List<Future<JsonObject>> calls = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        calls.add(bus.request(BusAddresses.USER_PASSKEY_CHECK, new PasskeyCheck(challenge, assertion).toJson(), "passkey-race-" + i));
      }
      await(Future.join(calls), 30);
      List<Result> results = calls.stream().map(c -> Answer.fromJson(c.result()).result()).toList();
      assertThat(results).as("counter " + counter).containsOnlyOnce(Result.ACCEPTED).hasSize(8);
    }
  }

  @Test
  void anUnsignedBusMessageIsRefused(Vertx vertx) {
    Registered r = registered(account("pk_unsigned"));
    String challenge = TestAuthenticator.challenge();
    JsonObject body = new PasskeyCheck(challenge, r.authenticator().assertion(challenge, ORIGIN, RP_ID, 1, r.userHandle())).toJson();
    ReplyException unsigned = (ReplyException) failure(vertx.eventBus().request(BusAddresses.USER_PASSKEY_CHECK, body,
      new DeliveryOptions().setSendTimeout(3000)));
    assertThat(unsigned.failureCode()).isEqualTo(401);
    assertThat(passkeyRow(r.passkeyId()).get("last_used_at")).isNull();

    Throwable notACheck = failure(bus.request(BusAddresses.USER_PASSKEY_CHECK, new JsonObject().put("challenge", 1),
      "passkey-bad-shape"));
    assertThat(notACheck).isInstanceOf(ApiException.class);
    assertThat(((ApiException) notACheck).status()).isEqualTo(400);
  }
}
