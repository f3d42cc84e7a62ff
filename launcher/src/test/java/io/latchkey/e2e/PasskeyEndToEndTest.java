package io.latchkey.e2e;

import io.latchkey.user.testing.TestAuthenticator;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.latchkey.e2e.E2eCalls.assertProblem;
import static io.latchkey.e2e.E2eCalls.bearer;
import static io.latchkey.e2e.E2eCalls.describe;
import static io.latchkey.e2e.E2eCalls.jwtClaims;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Passkeys with both real services (issue 14, its API rows): registered at the user service with
 * a software authenticator that signs as a browser's would, then a login with the passkey alone on
 * either auth node (options from one node, the assertion to the other), whose session is like any
 * other and whose tokens say {@code amr ["hwk","user","mfa"]}.
 */
@Timeout(90)
class PasskeyEndToEndTest {

  private static final String PASSWORD = "a long passphrase 42";
  private static final String ORIGIN = "http://localhost:8082";
  private static final String RP_ID = "localhost";

  private static BothServices services;

  @BeforeAll
  static void start() {
    services = BothServices.start(Map.of("WEBAUTHN_RP_ID", RP_ID, "WEBAUTHN_ORIGINS", ORIGIN));
  }

  @AfterAll
  static void stop() {
    if (services != null) {
      services.close();
    }
  }

  @Test
  void aPasskeyRegisteredAtTheUserServiceSignsInAloneOnEitherAuthNode() {
    String name = "pk_" + UUID.randomUUID().toString().replace("-", "").substring(0, 10);
    String id = call(services.userPort(), HttpMethod.POST, "/users", Map.of(), new JsonObject().put("username", name)
      .put("email", name + "@example.com").put("password", PASSWORD)).bodyAsJsonObject().getString("id");
    String access = call(services.authPort(0), HttpMethod.POST, "/auth/login", Map.of(),
      new JsonObject().put("login", name).put("password", PASSWORD)).bodyAsJsonObject().getString("accessToken");

    // registration: the options name the user by a random handle, never the user id
    HttpResponse<Buffer> options = call(services.userPort(), HttpMethod.POST, "/users/" + id + "/passkeys/registration-options",
      bearer(access), null);
    assertThat(options.statusCode()).as(describe(options)).isEqualTo(200);
    JsonObject creation = options.bodyAsJsonObject();
    String userHandle = creation.getJsonObject("user").getString("id");
    assertThat(userHandle).isNotEqualTo(id);
    assertThat(creation.getJsonObject("rp").getString("id")).isEqualTo(RP_ID);
    TestAuthenticator authenticator = new TestAuthenticator();
    HttpResponse<Buffer> added = call(services.userPort(), HttpMethod.POST, "/users/" + id + "/passkeys", bearer(access),
      new JsonObject().put("name", "laptop").put("credential",
        authenticator.registration(creation.getString("challenge"), ORIGIN, RP_ID)));
    assertThat(added.statusCode()).as(describe(added)).isEqualTo(201);
    assertThat(added.bodyAsJsonObject().getString("name")).isEqualTo("laptop");

    for (int node = 0; node < BothServices.AUTH_NODES; node++) {
      // the options from one node, the assertion to the other: every node sees every challenge
      JsonObject request = call(services.authPort(node), HttpMethod.POST, "/auth/passkey/options", Map.of(), null).bodyAsJsonObject();
      assertThat(request.getString("rpId")).isEqualTo(RP_ID);
      JsonObject assertion = authenticator.assertion(request.getString("challenge"), ORIGIN, RP_ID, node + 1, userHandle);
      HttpResponse<Buffer> login = call(services.authPort(1 - node), HttpMethod.POST, "/auth/passkey/login", Map.of(),
        new JsonObject().put("challengeId", request.getString("challengeId")).put("credential", assertion));
      assertThat(login.statusCode()).as(describe(login)).isEqualTo(200);
      JsonObject pair = login.bodyAsJsonObject();
      assertThat(jwtClaims(pair.getString("accessToken")).getJsonArray("amr")).containsExactly("hwk", "user", "mfa");
      assertThat(jwtClaims(pair.getString("accessToken")).getString("sub")).isEqualTo(id);
      // a session like any other: listed with the password session
      List<String> sessions = call(services.authPort(node), HttpMethod.GET, "/auth/sessions", bearer(pair.getString("accessToken")), null)
        .bodyAsJsonObject().getJsonArray("items").stream().map(s -> ((JsonObject) s).getString("id")).toList();
      assertThat(sessions).contains(pair.getString("sessionId")).hasSizeGreaterThanOrEqualTo(2 + node);
      // the same challenge again, even with a fresh signature: refused
      HttpResponse<Buffer> again = call(services.authPort(node), HttpMethod.POST, "/auth/passkey/login", Map.of(),
        new JsonObject().put("challengeId", request.getString("challengeId"))
          .put("credential", authenticator.assertion(request.getString("challenge"), ORIGIN, RP_ID, node + 5, userHandle)));
      assertProblem(again, 401, "invalid_credentials");
    }

    // a counter that goes backwards is refused
    JsonObject request = call(services.authPort(0), HttpMethod.POST, "/auth/passkey/options", Map.of(), null).bodyAsJsonObject();
    HttpResponse<Buffer> backwards = call(services.authPort(0), HttpMethod.POST, "/auth/passkey/login", Map.of(),
      new JsonObject().put("challengeId", request.getString("challengeId"))
        .put("credential", authenticator.assertion(request.getString("challenge"), ORIGIN, RP_ID, 1, userHandle)));
    assertProblem(backwards, 401, "invalid_credentials");

    // the passkey is listed, removed, and no longer signs in
    List<Object> passkeys = call(services.userPort(), HttpMethod.GET, "/users/" + id + "/passkeys", bearer(access), null)
      .bodyAsJsonObject().getJsonArray("items").getList();
    assertThat(passkeys).hasSize(1);
    String passkeyId = call(services.userPort(), HttpMethod.GET, "/users/" + id + "/passkeys", bearer(access), null)
      .bodyAsJsonObject().getJsonArray("items").getJsonObject(0).getString("id");
    HttpResponse<Buffer> removed = call(services.userPort(), HttpMethod.DELETE, "/users/" + id + "/passkeys/" + passkeyId,
      bearer(access), null);
    assertThat(removed.statusCode()).as(describe(removed)).isEqualTo(204);
    JsonObject last = call(services.authPort(1), HttpMethod.POST, "/auth/passkey/options", Map.of(), null).bodyAsJsonObject();
    assertProblem(call(services.authPort(1), HttpMethod.POST, "/auth/passkey/login", Map.of(),
      new JsonObject().put("challengeId", last.getString("challengeId"))
        .put("credential", authenticator.assertion(last.getString("challenge"), ORIGIN, RP_ID, 9, userHandle))), 401,
      "invalid_credentials");
  }

  private static HttpResponse<Buffer> call(int port, HttpMethod method, String path, Map<String, String> headers, JsonObject body) {
    return services.call(port, method, path, headers, body);
  }
}
