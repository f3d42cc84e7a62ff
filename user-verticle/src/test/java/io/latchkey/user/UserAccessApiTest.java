package io.latchkey.user;

import io.latchkey.user.testing.UserServiceFixture;
import io.latchkey.user.testing.UserServiceTest;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.UUID;

import static io.latchkey.common.testing.Await.await;
import static io.latchkey.user.testing.Problems.assertProblem;
import static io.latchkey.user.testing.UserServiceFixture.VALIDATE_KEY;
import static io.latchkey.user.testing.UserServiceFixture.bearer;
import static io.latchkey.user.testing.UserServiceFixture.key;
import static org.assertj.core.api.Assertions.assertThat;

/** Who may call what: bearer tokens, X-API-Key, admin, another user's id; GET/PUT/DELETE, lookups, roles, health. */
@UserServiceTest
class UserAccessApiTest {

  private final UserServiceFixture f;

  UserAccessApiTest(UserServiceFixture f) {
    this.f = f;
  }

  private static String id(JsonObject userWithToken) {
    return userWithToken.getJsonObject("user").getString("id");
  }

  private static String token(JsonObject userWithToken) {
    return userWithToken.getString("token");
  }

  // ---- GET /users/{id}

  @Test
  void usersReadThemselvesButNotOthers() {
    JsonObject ann = f.userWithToken("ann_get");
    JsonObject bob = f.userWithToken("bob_get");

    HttpResponse<Buffer> own = f.send(HttpMethod.GET, "/users/" + id(ann), null, bearer(token(ann)));
    assertThat(own.statusCode()).isEqualTo(200);
    assertThat(own.bodyAsJsonObject()).isEqualTo(ann.getJsonObject("user"));

    assertProblem(f.send(HttpMethod.GET, "/users/" + id(bob), null, bearer(token(ann))), 403, "forbidden");
    assertProblem(f.send(HttpMethod.GET, "/users/" + UUID.randomUUID(), null, bearer(token(ann))), 403, "forbidden");
  }

  @Test
  void adminsReadAnyoneByKeyOrByAdminToken() {
    JsonObject carl = f.userWithToken("carl_get");
    JsonObject root = f.userWithToken("root_get", "user", "admin");

    HttpResponse<Buffer> byKey = f.send(HttpMethod.GET, "/users/" + id(carl), null, key());
    assertThat(byKey.statusCode()).isEqualTo(200);
    assertThat(byKey.bodyAsJsonObject().getString("username")).isEqualTo("carl_get");

    HttpResponse<Buffer> byToken = f.send(HttpMethod.GET, "/users/" + id(carl), null, bearer(token(root)));
    assertThat(byToken.statusCode()).isEqualTo(200);
    assertThat(byToken.bodyAsJsonObject().getString("id")).isEqualTo(id(carl));
  }

  @Test
  void unknownAndNonUuidIdsAreUserNotFoundForAdmins() {
    assertProblem(f.send(HttpMethod.GET, "/users/" + UUID.randomUUID(), null, key()), 404, "user_not_found");
    assertProblem(f.send(HttpMethod.GET, "/users/not-a-uuid", null, key()), 404, "user_not_found");
    assertProblem(f.send(HttpMethod.GET, "/users/1-1-1-1-1", null, key()), 404, "user_not_found");
    assertProblem(f.send(HttpMethod.PUT, "/users/not-a-uuid", new JsonObject(), key()), 404, "user_not_found");
    assertProblem(f.send(HttpMethod.DELETE, "/users/not-a-uuid", null, key()), 404, "user_not_found");
  }

  @Test
  void missingOrInvalidBearerTokenIsInvalidTokenWithWwwAuthenticate() {
    JsonObject dora = f.userWithToken("dora_get");
    String path = "/users/" + id(dora);

    HttpResponse<Buffer> none = f.send(HttpMethod.GET, path, null, Map.of());
    assertProblem(none, 401, "invalid_token");
    assertThat(none.getHeader("WWW-Authenticate")).isEqualTo("Bearer");

    HttpResponse<Buffer> forged = f.send(HttpMethod.GET, path, null, bearer("forged.token"));
    assertProblem(forged, 401, "invalid_token");
    assertThat(forged.getHeader("WWW-Authenticate")).isEqualTo("Bearer");

    assertProblem(f.send(HttpMethod.GET, path, null, Map.of("Authorization", "Basic abc")), 401, "invalid_token");
    assertProblem(f.send(HttpMethod.GET, path, null, Map.of("Authorization", "Bearer ")), 401, "invalid_token");

    String revoked = f.auth.issueToken(id(dora), "dora_get", "user");
    assertThat(f.send(HttpMethod.GET, path, null, bearer(revoked)).statusCode()).isEqualTo(200);
    f.auth.revoke(revoked);
    assertProblem(f.send(HttpMethod.GET, path, null, bearer(revoked)), 401, "invalid_token");
  }

  @Test
  void aSentApiKeyIsCheckedFirstAndAValidateOnlyKeyIsRefused() {
    JsonObject emil = f.userWithToken("emil_get");
    String path = "/users/" + id(emil);
    Map<String, String> wrongKeyAndGoodToken = Map.of("X-API-Key", "wrong", "Authorization", "Bearer " + token(emil));
    assertProblem(f.send(HttpMethod.GET, path, null, wrongKeyAndGoodToken), 401, "invalid_api_key");
    assertProblem(f.send(HttpMethod.GET, path, null, Map.of("X-API-Key", VALIDATE_KEY)), 401, "invalid_api_key");
    assertProblem(f.send(HttpMethod.GET, path + "/password-hash", null, Map.of("X-API-Key", VALIDATE_KEY)), 401, "invalid_api_key");
    assertProblem(f.send(HttpMethod.GET, path + "/password-hash", null, bearer(token(emil))), 401, "invalid_api_key");
    assertProblem(f.send(HttpMethod.GET, path + "/password-hash", null, Map.of()), 401, "invalid_api_key");
  }

  @Test
  void authServiceUnreachableIsServiceUnavailableNeverUnauthorized() {
    JsonObject fay = f.userWithToken("fay_get");
    await(f.auth.stopValidator());
    try {
      HttpResponse<Buffer> response = f.send(HttpMethod.GET, "/users/" + id(fay), null, bearer(token(fay)));
      assertProblem(response, 503, "auth_service_unavailable");
      assertThat(response.getHeader("Retry-After")).isNotBlank();
      assertThat(f.send(HttpMethod.GET, "/users/" + id(fay), null, key()).statusCode()).as("keys need no auth service").isEqualTo(200);
    } finally {
      await(f.auth.startValidator());
    }
    assertThat(f.send(HttpMethod.GET, "/users/" + id(fay), null, bearer(token(fay))).statusCode()).isEqualTo(200);
  }

  @Test
  void anAuthServiceThatDoesNotAnswerInTimeIsServiceUnavailable(Vertx node) {
    JsonObject gus = f.userWithToken("gus_get");
    await(f.auth.stopValidator());
    var silent = node.eventBus().<JsonObject>consumer(io.latchkey.common.BusAddresses.AUTH_VALIDATE, message -> {
      // never answers: the bus request times out (BUS_TIMEOUT_MS)
    });
    await(silent.completion());
    try {
      HttpResponse<Buffer> response = f.send(HttpMethod.GET, "/users/" + id(gus), null, bearer(token(gus)));
      assertProblem(response, 503, "auth_service_unavailable");
    } finally {
      await(silent.unregister());
      await(f.auth.startValidator());
    }
  }

  // ---- PUT /users/{id}

  @Test
  void partialUpdateChangesOnlyPresentFieldsAndNullClearsTheDisplayName() {
    JsonObject gil = f.userWithToken("gil_put");
    String path = "/users/" + id(gil);

    HttpResponse<Buffer> named = f.send(HttpMethod.PUT, path, new JsonObject().put("displayName", "Gil"), bearer(token(gil)));
    assertThat(named.statusCode()).as(named.bodyAsString()).isEqualTo(200);
    assertThat(named.bodyAsJsonObject().getString("displayName")).isEqualTo("Gil");
    assertThat(named.bodyAsJsonObject().getString("email")).isEqualTo("gil_put@example.com");
    assertThat(f.outboxRows(id(gil))).as("a display name change tells the auth service nothing").isEmpty();

    HttpResponse<Buffer> email = f.send(HttpMethod.PUT, path, new JsonObject().put("email", "Gil.New@Example.com")
      .put("currentPassword", "correct horse gil_put"), bearer(token(gil)));
    assertThat(email.statusCode()).isEqualTo(200);
    assertThat(email.bodyAsJsonObject().getString("email")).isEqualTo("gil.new@example.com");
    assertThat(email.bodyAsJsonObject().getString("displayName")).isEqualTo("Gil");
    assertThat(f.outboxRows(id(gil))).extracting(r -> r.get("type")).containsExactly("email_changed");

    HttpResponse<Buffer> cleared = f.send(HttpMethod.PUT, path, new JsonObject().putNull("displayName"), key());
    assertThat(cleared.statusCode()).isEqualTo(200);
    assertThat(cleared.bodyAsJsonObject().getValue("displayName")).isNull();
    assertThat(f.userRow(id(gil)).get("display_name")).isNull();
    assertThat(f.userRow(id(gil)).get("email")).isEqualTo("gil.new@example.com");
  }

  @Test
  void updateRefusesOtherFieldsBadValuesTakenEmailsAndOtherUsers() {
    JsonObject hal = f.userWithToken("hal_put");
    JsonObject ida = f.userWithToken("ida_put");
    String path = "/users/" + id(hal);

    assertProblem(f.send(HttpMethod.PUT, path, new JsonObject().put("username", "renamed"), bearer(token(hal))), 400, "validation_failed");
    assertProblem(f.send(HttpMethod.PUT, path, new JsonObject().put("roles", new JsonArray().add("admin")), bearer(token(hal))), 400, "validation_failed");
    assertProblem(f.send(HttpMethod.PUT, path, new JsonObject().put("id", id(ida)), bearer(token(hal))), 400, "validation_failed");
    assertProblem(f.send(HttpMethod.PUT, path, new JsonObject().put("email", "nope"), bearer(token(hal))), 400, "validation_failed");
    assertProblem(f.send(HttpMethod.PUT, path, new JsonObject().putNull("email"), bearer(token(hal))), 400, "validation_failed");
    assertProblem(f.send(HttpMethod.PUT, path, new JsonObject().put("email", 7), bearer(token(hal))), 400, "malformed_request");
    assertProblem(f.sendRaw(HttpMethod.PUT, path, "not json", bearer(token(hal))), 400, "malformed_request");
    assertProblem(f.send(HttpMethod.PUT, path, new JsonObject().put("email", "IDA_PUT@example.com")
      .put("currentPassword", "correct horse hal_put"), bearer(token(hal))), 409, "email_taken");
    assertProblem(f.send(HttpMethod.PUT, "/users/" + id(ida), new JsonObject().put("displayName", "x"), bearer(token(hal))), 403, "forbidden");
    assertProblem(f.send(HttpMethod.PUT, "/users/" + UUID.randomUUID(), new JsonObject().put("displayName", "x"), key()), 404, "user_not_found");
    assertThat(f.userRow(id(hal)).get("email")).isEqualTo("hal_put@example.com");
    assertThat(f.userRow(id(hal)).get("username")).isEqualTo("hal_put");
  }

  // ---- DELETE /users/{id}

  @Test
  void usersDeleteThemselvesAndTheirNameAndEmailAreFreeAgain() {
    JsonObject jan = f.userWithToken("jan_del");
    JsonObject kim = f.userWithToken("kim_del");

    assertProblem(f.send(HttpMethod.DELETE, "/users/" + id(kim), null, bearer(token(jan))), 403, "forbidden");
    HttpResponse<Buffer> deleted = f.send(HttpMethod.DELETE, "/users/" + id(jan), null, bearer(token(jan)));
    assertThat(deleted.statusCode()).isEqualTo(204);
    assertThat(f.userRow(id(jan))).isNull();
    assertThat(f.outboxRows(id(jan))).extracting(r -> r.get("type")).containsExactly("user_deleted");
    assertProblem(f.send(HttpMethod.DELETE, "/users/" + id(jan), null, key()), 404, "user_not_found");

    f.register("JAN_DEL", "Jan_Del@example.com", "a sturdy passphrase");
    assertThat(f.send(HttpMethod.DELETE, "/users/" + id(kim), null, key()).statusCode()).isEqualTo(204);
  }

  // ---- admin lookups

  @Test
  void lookupsByUsernameAndEmailIgnoreCaseAndAreForAdminsOnly() {
    JsonObject lia = f.userWithToken("Lia_Look");
    JsonObject root = f.userWithToken("root_look", "admin");

    HttpResponse<Buffer> byName = f.send(HttpMethod.GET, "/users/by-username/lia_LOOK", null, key());
    assertThat(byName.statusCode()).isEqualTo(200);
    assertThat(byName.bodyAsJsonObject().getString("id")).isEqualTo(id(lia));

    HttpResponse<Buffer> byEmail = f.send(HttpMethod.GET, "/users/by-email/LIA_look@EXAMPLE.com", null, bearer(token(root)));
    assertThat(byEmail.statusCode()).isEqualTo(200);
    assertThat(byEmail.bodyAsJsonObject().getString("id")).isEqualTo(id(lia));

    assertProblem(f.send(HttpMethod.GET, "/users/by-username/Lia_Look", null, bearer(token(lia))), 403, "forbidden");
    assertProblem(f.send(HttpMethod.GET, "/users/by-email/lia_look@example.com", null, Map.of()), 401, "invalid_token");
    assertProblem(f.send(HttpMethod.GET, "/users/by-username/nobody_here", null, key()), 404, "user_not_found");
    assertProblem(f.send(HttpMethod.GET, "/users/by-email/nobody@example.com", null, key()), 404, "user_not_found");
  }

  // ---- PUT /users/{id}/roles

  @Test
  void rolesAreSetWithAKeyAndTheChangeIsNoticed() {
    JsonObject max = f.userWithToken("max_roles");
    String path = "/users/" + id(max) + "/roles";

    HttpResponse<Buffer> admin = f.send(HttpMethod.PUT, path, new JsonObject().put("roles", new JsonArray().add("admin").add("user")), key());
    assertThat(admin.statusCode()).as(admin.bodyAsString()).isEqualTo(200);
    assertThat(admin.bodyAsJsonObject().getJsonArray("roles")).containsExactly("user", "admin");
    assertThat(f.outboxRows(id(max))).extracting(r -> r.get("type")).containsExactly("roles_changed");

    HttpResponse<Buffer> same = f.send(HttpMethod.PUT, path, new JsonObject().put("roles", new JsonArray().add("user").add("admin")), key());
    assertThat(same.statusCode()).isEqualTo(200);
    assertThat(f.outboxRows(id(max))).as("no change, no notice").hasSize(1);

    HttpResponse<Buffer> adminOnly = f.send(HttpMethod.PUT, path, new JsonObject().put("roles", new JsonArray().add("admin")), key());
    assertThat(adminOnly.bodyAsJsonObject().getJsonArray("roles")).containsExactly("admin");
  }

  @Test
  void rolesRefuseBadBodiesUnknownUsersAndBearerTokens() {
    JsonObject ned = f.userWithToken("ned_roles", "admin");
    String path = "/users/" + id(ned) + "/roles";
    assertProblem(f.send(HttpMethod.PUT, path, new JsonObject().put("roles", new JsonArray()), key()), 400, "validation_failed");
    assertProblem(f.send(HttpMethod.PUT, path, new JsonObject().put("roles", new JsonArray().add("root")), key()), 400, "validation_failed");
    assertProblem(f.send(HttpMethod.PUT, path, new JsonObject(), key()), 400, "validation_failed");
    assertProblem(f.send(HttpMethod.PUT, path, new JsonObject().put("roles", new JsonArray().add("user")).put("x", 1), key()), 400, "validation_failed");
    assertProblem(f.send(HttpMethod.PUT, path, new JsonObject().put("roles", "admin"), key()), 400, "malformed_request");
    assertProblem(f.send(HttpMethod.PUT, path, new JsonObject().put("roles", new JsonArray().add(1)), key()), 400, "malformed_request");
    assertProblem(f.send(HttpMethod.PUT, "/users/" + UUID.randomUUID() + "/roles", new JsonObject().put("roles", new JsonArray().add("user")), key()),
      404, "user_not_found");
    assertProblem(f.send(HttpMethod.PUT, path, new JsonObject().put("roles", new JsonArray().add("user")), bearer(token(ned))), 401, "invalid_api_key");
    assertThat(f.outboxRows(id(ned))).isEmpty();
  }

  // ---- health

  @Test
  void healthRowsReportLivenessReadinessTheDatabaseAndEveryCheck() {
    assertThat(f.send(HttpMethod.GET, "/health/live", null, Map.of()).statusCode()).isEqualTo(200);
    assertThat(f.send(HttpMethod.GET, "/health/db", null, Map.of()).bodyAsJsonObject().getString("status")).isEqualTo("UP");

    HttpResponse<Buffer> notReady = f.send(HttpMethod.GET, "/health/ready", null, Map.of());
    assertThat(notReady.statusCode()).as("the fixture never proved a bus round trip").isEqualTo(503);
    HttpResponse<Buffer> reportDown = f.send(HttpMethod.GET, "/health", null, Map.of());
    assertThat(reportDown.statusCode()).isEqualTo(503);
    assertThat(reportDown.bodyAsJsonObject().getString("status")).isEqualTo("DOWN");

    f.state.markBusReady();
    assertThat(f.send(HttpMethod.GET, "/health/ready", null, Map.of()).statusCode()).isEqualTo(200);
    HttpResponse<Buffer> report = f.send(HttpMethod.GET, "/health", null, Map.of());
    assertThat(report.statusCode()).as(report.bodyAsString()).isEqualTo(200);
    assertThat(report.bodyAsJsonObject().getJsonArray("checks").stream().map(c -> ((JsonObject) c).getString("id")))
      .contains("cluster", "accepting-traffic", "database");
  }
}
