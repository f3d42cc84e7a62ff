package io.latchkey.user;

import io.latchkey.user.testing.UserServiceFixture;
import io.latchkey.user.testing.UserServiceTest;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static io.latchkey.common.testing.Await.await;
import static io.latchkey.user.testing.Problems.assertCompleteProblem;
import static org.assertj.core.api.Assertions.assertThat;

/** POST /users and the conventions every endpoint shares (problem documents, 404/405/413, request ids). */
@UserServiceTest
class RegistrationApiTest {

  private final UserServiceFixture f;

  RegistrationApiTest(UserServiceFixture f) {
    this.f = f;
  }

  private HttpResponse<Buffer> post(JsonObject body) {
    return f.send(HttpMethod.POST, "/users", body, Map.of());
  }

  private static JsonObject registration(String username, String email, String password) {
    return new JsonObject().put("username", username).put("email", email).put("password", password);
  }

  private static List<String> errorFields(HttpResponse<Buffer> response) {
    JsonArray errors = response.bodyAsJsonObject().getJsonArray("errors", new JsonArray());
    List<String> fields = new ArrayList<>();
    errors.forEach(e -> fields.add(((JsonObject) e).getString("field")));
    return fields;
  }

  @Test
  void registrationAnswers201WithLocationAndStoresLowerCasedEmailVersionOneAndBcryptHash() {
    HttpResponse<Buffer> response = post(registration("Alice.Reg", "Alice.Reg@Example.COM", "a sturdy passphrase")
      .put("displayName", "Alice R."));

    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(201);
    JsonObject user = response.bodyAsJsonObject();
    assertThat(user.fieldNames()).containsExactlyInAnyOrder("id", "username", "email", "emailVerified", "displayName", "roles", "disabled", "mfa",
      "createdAt", "updatedAt");
    assertThat(response.getHeader("Location")).isEqualTo("/users/" + user.getString("id"));
    assertThat(user.getString("username")).isEqualTo("Alice.Reg");
    assertThat(user.getString("email")).isEqualTo("alice.reg@example.com");
    assertThat(user.getString("displayName")).isEqualTo("Alice R.");
    assertThat(user.getJsonArray("roles")).containsExactly("user");
    assertThat(user.getString("createdAt")).matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?Z");
    assertThat(response.bodyAsString()).doesNotContain("$2").doesNotContain("password");

    Map<String, Object> row = f.userRow(user.getString("id"));
    assertThat(row.get("email")).isEqualTo("alice.reg@example.com");
    assertThat(row.get("password_version")).isEqualTo(1L);
    assertThat((String) row.get("password_hash")).startsWith("$2a$04$");
    assertThat(f.outboxRows(user.getString("id"))).as("registration tells the auth service nothing").isEmpty();
  }

  @Test
  void displayNameIsOptional() {
    HttpResponse<Buffer> response = post(registration("no_display", "nodisplay@example.com", "a sturdy passphrase"));
    assertThat(response.statusCode()).isEqualTo(201);
    assertThat(response.bodyAsJsonObject().containsKey("displayName")).isTrue();
    assertThat(response.bodyAsJsonObject().getValue("displayName")).isNull();
  }

  @Test
  void usernameAndEmailAreUniqueWithoutRegardToCase() {
    f.register("CaseUser", "case.user@example.com", "a sturdy passphrase");

    assertCompleteProblem(post(registration("caseuser", "other1@example.com", "a sturdy passphrase")), 409, "username_taken");
    assertCompleteProblem(post(registration("other-name", "CASE.USER@example.com", "a sturdy passphrase")), 409, "email_taken");
    assertThat(f.rows("SELECT 1 FROM users.users WHERE lower(username) = 'caseuser'")).hasSize(1);
  }

  @Test
  void invalidFieldsAreValidationFailedNamingEachField() {
    HttpResponse<Buffer> response = post(registration("ab", "not-an-email", "a sturdy passphrase").put("displayName", "x".repeat(101)));
    assertCompleteProblem(response, 400, "validation_failed");
    assertThat(errorFields(response)).containsExactlyInAnyOrder("username", "email", "displayName");

    HttpResponse<Buffer> missing = post(new JsonObject().put("username", "valid_name"));
    assertCompleteProblem(missing, 400, "validation_failed");
    assertThat(errorFields(missing)).containsExactlyInAnyOrder("email", "password");

    assertCompleteProblem(post(registration("bad name!", "ok@example.com", "a sturdy passphrase")), 400, "validation_failed");
    assertCompleteProblem(post(registration("x".repeat(33), "ok@example.com", "a sturdy passphrase")), 400, "validation_failed");
    assertCompleteProblem(post(registration("okname", "two@@example.com", "a sturdy passphrase")), 400, "validation_failed");
    assertCompleteProblem(post(registration("okname", "ok@example.com", "a sturdy passphrase").put("displayName", "")), 400, "validation_failed");
  }

  @Test
  void weakPasswordIsReportedOnlyWhenTheOtherFieldsAreValid() {
    assertCompleteProblem(post(registration("weak_one", "weak1@example.com", "short")), 400, "weak_password");
    assertCompleteProblem(post(registration("weak_two", "weak2@example.com", "PassWord")), 400, "weak_password");

    HttpResponse<Buffer> both = post(registration("x", "weak3@example.com", "short"));
    assertCompleteProblem(both, 400, "validation_failed");
    assertThat(errorFields(both)).containsExactly("username");
    assertThat(f.rows("SELECT 1 FROM users.users WHERE username IN ('weak_one', 'weak_two')")).isEmpty();
  }

  @Test
  void malformedBodiesAreMalformedRequest() {
    assertCompleteProblem(f.sendRaw(HttpMethod.POST, "/users", "{\"username\": ", Map.of()), 400, "malformed_request");
    assertCompleteProblem(f.sendRaw(HttpMethod.POST, "/users", "[1, 2]", Map.of()), 400, "malformed_request");
    assertCompleteProblem(f.sendRaw(HttpMethod.POST, "/users", "\"text\"", Map.of()), 400, "malformed_request");
    assertCompleteProblem(f.sendRaw(HttpMethod.POST, "/users", "", Map.of()), 400, "malformed_request");
    assertCompleteProblem(post(registration("typed", "typed@example.com", "a sturdy passphrase").put("username", 42)), 400, "malformed_request");
    assertCompleteProblem(post(registration("typed", "typed@example.com", "a sturdy passphrase").put("displayName", true)), 400, "malformed_request");
  }

  @Test
  void fieldsTheEndpointDoesNotAcceptAreValidationFailed() {
    HttpResponse<Buffer> response = post(registration("sneaky", "sneaky@example.com", "a sturdy passphrase")
      .put("roles", new JsonArray().add("admin")).put("id", "00000000-0000-0000-0000-000000000001"));
    assertCompleteProblem(response, 400, "validation_failed");
    assertThat(errorFields(response)).containsExactlyInAnyOrder("roles", "id");
    assertThat(f.rows("SELECT 1 FROM users.users WHERE username = 'sneaky'")).isEmpty();
  }

  @Test
  void bodiesOver64KiBArePayloadTooLarge() {
    String big = "{\"username\": \"big\", \"email\": \"big@example.com\", \"password\": \"" + "x".repeat(70 * 1024) + "\"}";
    assertCompleteProblem(f.sendRaw(HttpMethod.POST, "/users", big, Map.of()), 413, "payload_too_large");
  }

  @Test
  void unknownPathIsNotFoundAndWrongMethodIsMethodNotAllowed() {
    assertCompleteProblem(f.send(HttpMethod.GET, "/nothing-here", null, Map.of()), 404, "not_found");
    assertCompleteProblem(f.send(HttpMethod.PATCH, "/users", new JsonObject(), Map.of()), 405, "method_not_allowed");
    assertCompleteProblem(f.send(HttpMethod.POST, "/users/00000000-0000-0000-0000-000000000001", new JsonObject(), UserServiceFixture.key()),
      405, "method_not_allowed");
  }

  @Test
  void everyResponseCarriesTheCallersSaneRequestIdOrANewOne() {
    HttpResponse<Buffer> echoed = f.send(HttpMethod.GET, "/health/live", null, Map.of("X-Request-Id", "trace-123"));
    assertThat(echoed.getHeader("X-Request-Id")).isEqualTo("trace-123");
    HttpResponse<Buffer> insane = f.send(HttpMethod.GET, "/nothing", null, Map.of("X-Request-Id", "bad id with spaces"));
    assertThat(insane.getHeader("X-Request-Id")).isNotBlank().isNotEqualTo("bad id with spaces");
    assertThat(insane.bodyAsJsonObject().getString("requestId")).isEqualTo(insane.getHeader("X-Request-Id"));
  }

  @Test
  void concurrentRegistrationsOfOneNameGiveOne201AndOne409() {
    for (int round = 0; round < 5; round++) {
      String name = "race" + round;
      Future<HttpResponse<Buffer>> a = f.request(HttpMethod.POST, "/users")
        .sendJsonObject(registration(name, name + "a@example.com", "a sturdy passphrase"));
      Future<HttpResponse<Buffer>> b = f.request(HttpMethod.POST, "/users")
        .sendJsonObject(registration(name.toUpperCase(), name + "b@example.com", "a sturdy passphrase"));
      await(Future.join(a, b));
      List<Integer> statuses = List.of(a.result().statusCode(), b.result().statusCode());
      assertThat(statuses).as("round " + round).containsExactlyInAnyOrder(201, 409);
      HttpResponse<Buffer> loser = a.result().statusCode() == 409 ? a.result() : b.result();
      assertThat(loser.bodyAsJsonObject().getString("code")).isEqualTo("username_taken");
      assertThat(f.rows("SELECT 1 FROM users.users WHERE lower(username) = ?", name)).hasSize(1);
    }
  }

  @Test
  void thirtyTwoConcurrentRegistrationsAllSucceedWithoutABlockedThreadWarning(Vertx node) {
    ch.qos.logback.classic.Logger checker = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(
      io.vertx.core.internal.threadchecker.BlockedThreadChecker.LOGGER_NAME);
    ch.qos.logback.core.read.ListAppender<ch.qos.logback.classic.spi.ILoggingEvent> warnings = new ch.qos.logback.core.read.ListAppender<>();
    warnings.start();
    checker.addAppender(warnings);
    try {
      registerThirtyTwoAtOnce();
      // the checker looks every second (TestNodes); give it one more look before concluding
      await(node.timer(1100));
    } finally {
      checker.detachAppender(warnings);
    }
    assertThat(warnings.list).as("blocked-thread warnings").isEmpty();
  }

  private void registerThirtyTwoAtOnce() {
    List<Future<HttpResponse<Buffer>>> calls = new ArrayList<>();
    for (int i = 0; i < 32; i++) {
      calls.add(f.request(HttpMethod.POST, "/users").sendJsonObject(registration("burst" + i, "burst" + i + "@example.com",
        "a sturdy passphrase " + i)));
    }
    await(Future.join(calls), 60);
    Map<Integer, Long> statuses = calls.stream().collect(Collectors.groupingBy(c -> c.result().statusCode(), Collectors.counting()));
    assertThat(statuses).isEqualTo(Map.of(201, 32L));
    assertThat(f.rows("SELECT 1 FROM users.users WHERE username LIKE 'burst%'")).hasSize(32);
  }
}
