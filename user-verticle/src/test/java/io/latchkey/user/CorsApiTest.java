package io.latchkey.user;

import io.latchkey.user.testing.UserServiceFixture;
import io.latchkey.user.testing.UserServiceTest;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.latchkey.common.testing.Await.await;
import static io.latchkey.user.testing.Problems.assertCompleteProblem;
import static io.latchkey.user.testing.Problems.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * CORS at the user service with the development default, {@code CORS_ALLOWED_ORIGINS} =
 * {@code http://localhost:8082} (the auth service serving the account page): preflights and
 * calls from that origin get the headers a browser needs and never
 * {@code Access-Control-Allow-Credentials}; any other {@code Origin} is refused with a 403
 * problem before the route runs; a request without {@code Origin} is not touched.
 */
@UserServiceTest
class CorsApiTest {

  private static final String PAGE = "http://localhost:8082";
  private static final String ALLOW_ORIGIN = "Access-Control-Allow-Origin";

  private static UserServiceFixture f;
  private static String userId;
  private static String token;

  @BeforeAll
  static void start(UserServiceFixture fixture) {
    f = fixture;
    JsonObject created = f.userWithToken("cors-alice");
    userId = created.getJsonObject("user").getString("id");
    token = created.getString("token");
  }

  private static HttpResponse<Buffer> preflight(String origin, String path, String method, String headers) {
    HttpRequest<Buffer> request = f.request(HttpMethod.OPTIONS, path).putHeader("Origin", origin)
      .putHeader("Access-Control-Request-Method", method);
    if (headers != null) {
      request.putHeader("Access-Control-Request-Headers", headers);
    }
    return await(request.send());
  }

  private static Map<String, String> fromPage(Map<String, String> headers) {
    Map<String, String> all = new java.util.HashMap<>(headers);
    all.put("Origin", PAGE);
    return all;
  }

  /** The response's Access-Control-* header names, lower case. */
  private static List<String> corsHeaders(HttpResponse<Buffer> response) {
    MultiMap headers = response.headers();
    return headers.names().stream().map(String::toLowerCase).filter(name -> name.startsWith("access-control-")).sorted().toList();
  }

  private static long users(String username) {
    return (Long) f.rows("SELECT count(*) AS n FROM users.users WHERE username = ?", username).get(0).get("n");
  }

  // ---- the allowed origin

  @Test
  void aPreflightFromThePageIsAnswered204WithTheMethodsAndHeadersAndNoCredentials() {
    HttpResponse<Buffer> response = preflight(PAGE, "/users/" + userId + "/passkeys", "POST", "authorization,content-type");

    assertThat(response.statusCode()).isEqualTo(204);
    assertThat(response.getHeader(ALLOW_ORIGIN)).isEqualTo(PAGE);
    assertThat(response.getHeader("Access-Control-Allow-Methods")).isEqualTo("GET,POST,PUT,PATCH,DELETE");
    assertThat(response.getHeader("Access-Control-Allow-Headers")).isEqualTo("Authorization,Content-Type,X-Request-Id");
    assertThat(response.getHeader("Access-Control-Max-Age")).isEqualTo("600");
    assertThat(response.getHeader("Access-Control-Allow-Credentials")).isNull();
    assertThat(response.body()).isNull();
  }

  @Test
  void aPreflightForAPatchOrDeleteIsAnsweredTheSameOnAnyPath() {
    for (String method : List.of("PATCH", "DELETE", "PUT")) {
      HttpResponse<Buffer> response = preflight(PAGE, "/users/" + userId + "/passkeys/" + java.util.UUID.randomUUID(), method,
        "authorization");
      assertThat(response.statusCode()).as(method).isEqualTo(204);
      assertThat(response.getHeader(ALLOW_ORIGIN)).as(method).isEqualTo(PAGE);
      assertThat(response.getHeader("Access-Control-Allow-Methods")).as(method).contains(method);
    }
  }

  @Test
  void bearerCallsFromThePageCarryTheOriginAndTheExposedHeaders() {
    HttpResponse<Buffer> listed = f.send(HttpMethod.GET, "/users/" + userId + "/passkeys", null,
      fromPage(UserServiceFixture.bearer(token)));
    assertThat(listed.statusCode()).as(listed.bodyAsString()).isEqualTo(200);
    assertThat(listed.bodyAsJsonObject().getJsonArray("items")).isEmpty();

    HttpResponse<Buffer> options = f.send(HttpMethod.POST, "/users/" + userId + "/passkeys/registration-options", null,
      fromPage(UserServiceFixture.bearer(token)));
    assertThat(options.statusCode()).as(options.bodyAsString()).isEqualTo(200);
    assertThat(options.bodyAsJsonObject().getString("challenge")).isNotBlank();

    for (HttpResponse<Buffer> response : List.of(listed, options)) {
      assertThat(response.getHeader(ALLOW_ORIGIN)).isEqualTo(PAGE);
      assertThat(response.getHeader("Access-Control-Expose-Headers")).isEqualTo("Retry-After,X-Request-Id,Location");
      assertThat(response.getHeader("Access-Control-Allow-Credentials")).isNull();
    }
  }

  @Test
  void errorsAnsweredToThePageCarryTheOriginSoThePageCanReadTheProblem() {
    HttpResponse<Buffer> unauthorized = f.send(HttpMethod.GET, "/users/" + userId + "/passkeys", null,
      fromPage(UserServiceFixture.bearer("not-a-token")));
    assertProblem(unauthorized, 401, "invalid_token");
    assertThat(unauthorized.getHeader(ALLOW_ORIGIN)).isEqualTo(PAGE);

    // the body limit is checked after CORS: the 413 is readable by the page too
    HttpResponse<Buffer> tooLarge = f.sendRaw(HttpMethod.POST, "/users/password-reset", "{\"email\":\"" + "a".repeat(70_000) + "\"}",
      Map.of("Origin", PAGE));
    assertProblem(tooLarge, 413, "payload_too_large");
    assertThat(tooLarge.getHeader(ALLOW_ORIGIN)).isEqualTo(PAGE);
  }

  // ---- other origins

  @Test
  void aCallFromAnotherOriginIsRefused403WithAProblemAndTheRouteDoesNotRun() {
    HttpResponse<Buffer> response = f.send(HttpMethod.POST, "/users",
      new JsonObject().put("username", "cors-mallory").put("email", "cors-mallory@example.com").put("password", "correct horse mallory"),
      Map.of("Origin", "https://attacker.example"));

    assertCompleteProblem(response, 403, "forbidden");
    assertThat(response.getHeader(ALLOW_ORIGIN)).isNull();
    assertThat(corsHeaders(response)).isEmpty();
    assertThat(response.bodyAsJsonObject().getString("requestId")).isEqualTo(response.getHeader("X-Request-Id"));
    assertThat(users("cors-mallory")).as("no registration from a refused origin").isZero();
  }

  @Test
  void aPreflightFromAnotherOriginIsRefusedWithoutAllowOrigin() {
    HttpResponse<Buffer> response = preflight("https://attacker.example", "/users/" + userId + "/passkeys", "POST", "authorization");

    assertCompleteProblem(response, 403, "forbidden");
    assertThat(corsHeaders(response)).isEmpty();
  }

  @Test
  void lookalikeOriginsAndTheOpaqueNullOriginAreRefused() {
    for (String origin : List.of("null", "http://localhost:8082.attacker.example", "http://localhost:80823", "https://localhost:8082", "http://127.0.0.1:8082",
      "http://127.0.0.1:8081", "http://localhost", "")) {
      HttpResponse<Buffer> response = f.send(HttpMethod.GET, "/users/" + userId + "/passkeys", null,
        Map.of("Origin", origin, "Authorization", "Bearer " + token));
      assertCompleteProblem(response, 403, "forbidden");
      assertThat(response.getHeader(ALLOW_ORIGIN)).as(origin).isNull();
    }
  }

  // ---- no Origin: curl, services

  @Test
  void aRequestWithoutOriginGetsNoCorsHeaders() {
    HttpResponse<Buffer> response = f.send(HttpMethod.GET, "/users/" + userId + "/passkeys", null, UserServiceFixture.bearer(token));

    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    assertThat(corsHeaders(response)).isEmpty();
    assertThat(response.getHeader("Vary")).isNull();
  }

  @Test
  void anOptionsRequestWithoutOriginIsAnsweredAsBefore() {
    HttpResponse<Buffer> response = await(f.request(HttpMethod.OPTIONS, "/users/" + userId + "/passkeys")
      .putHeader("Access-Control-Request-Method", "POST").send());

    assertProblem(response, 405, "method_not_allowed");
    assertThat(corsHeaders(response)).isEmpty();
  }
}
