package io.latchkey.auth.edge;

import io.latchkey.auth.session.TokenPair;
import io.latchkey.auth.testing.AuthFixture;
import io.latchkey.auth.testing.AuthTest;
import io.latchkey.common.bus.Credentials;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.UUID;

import static io.latchkey.common.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The auth service's edge: control characters and lone surrogates in a login are 400 (not a
 * 503 that costs bcrypt and is never counted), escapes and unknown paths are problem documents,
 * two X-API-Key lines are refused, IPv6 clients are throttled per /64. The client IP comes from
 * X-Forwarded-For (127.0.0.1 is a trusted proxy here), so each test has addresses of its own.
 */
@Timeout(120)
@AuthTest(nodes = 1, settings = {"LOGIN_IP_MAX_FAILURES=2", "TRUSTED_PROXIES=127.0.0.1"})
class AuthInputEdgesTest {

  static AuthFixture auth;

  @BeforeAll
  static void start(AuthFixture fixture) {
    auth = fixture;
  }

  private static HttpResponse<Buffer> rawLogin(String json, String clientIp) {
    return await(auth.request(0, HttpMethod.POST, "/auth/login").putHeader("Content-Type", "application/json")
      .putHeader("X-Forwarded-For", clientIp).sendBuffer(Buffer.buffer(json)));
  }

  private static HttpResponse<Buffer> login(String login, String password, String clientIp) {
    return await(auth.request(0, HttpMethod.POST, "/auth/login").putHeader("X-Forwarded-For", clientIp)
      .sendJsonObject(new JsonObject().put("login", login).put("password", password)));
  }

  private static void assertProblem(HttpResponse<Buffer> response, int status, String code) {
    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(status);
    assertThat(response.getHeader("Content-Type")).isEqualTo("application/problem+json");
    assertThat(response.bodyAsJsonObject().getString("code")).isEqualTo(code);
  }

  private static void assertFieldRefused(HttpResponse<Buffer> response, String field) {
    assertProblem(response, 400, "validation_failed");
    assertThat(response.bodyAsJsonObject().getJsonArray("errors").getJsonObject(0).getString("field")).isEqualTo(field);
  }

  @Test
  void brokenLoginsAre400WithoutAskingTheUserServiceOrCountingThem() {
    int before = auth.users.credentialRequests();
    for (int i = 0; i < 5; i++) {
      assertFieldRefused(rawLogin("{\"login\":\"nul\\u0000" + i + "\",\"password\":\"whatever 1\"}", "198.51.100.10"), "login");
      assertFieldRefused(rawLogin("{\"login\":\"c1\\u0085" + i + "\",\"password\":\"whatever 1\"}", "198.51.100.10"), "login");
      assertFieldRefused(rawLogin("{\"login\":\"lone\\udbff" + i + "\",\"password\":\"whatever 1\"}", "198.51.100.10"), "login");
    }
    assertThat(auth.users.credentialRequests()).isEqualTo(before);
    // fifteen broken requests, yet the IP limit (2) is untouched: an ordinary wrong login is still 401
    assertProblem(login("nobody-" + UUID.randomUUID(), "whatever 1", "198.51.100.10"), 401, "invalid_credentials");
  }

  @Test
  void aPasswordWithALoneSurrogateIsRefusedAndNeverMatchesItsQuestionMarkTwin() {
    Credentials user = auth.users.add("qmark-" + UUID.randomUUID().toString().substring(0, 8), "long pass?phrase");
    assertFieldRefused(rawLogin("{\"login\":\"" + user.username() + "\",\"password\":\"long pass\\ud800phrase\"}", "198.51.100.20"),
      "password");
    assertThat(login(user.username(), "long pass?phrase", "198.51.100.20").statusCode()).isEqualTo(200);
  }

  @Test
  void malformedEscapesAndUnknownPathsAreProblemDocuments() {
    for (String path : List.of("/auth/%zz", "/auth/sessions/%zz", "/%", "/admin/password-cache/%E0%A4%A")) {
      HttpResponse<Buffer> response = await(auth.request(0, HttpMethod.GET, path).send());
      assertProblem(response, 400, "malformed_request");
    }
    assertProblem(await(auth.request(0, HttpMethod.GET, "/auth/nothing-here").send()), 404, "not_found");
    assertProblem(await(auth.request(0, HttpMethod.GET, "/auth/" + "x".repeat(10_000)).send()), 414, "uri_too_long");
    assertProblem(await(auth.request(0, HttpMethod.GET, "/auth/me").putHeader("X-Big", "y".repeat(20_000)).send()), 431,
      "request_header_fields_too_large");
  }

  @Test
  void twoApiKeyLinesAre401EvenWhenBothAreValid() {
    HttpRequest<Buffer> twice = auth.request(0, HttpMethod.POST, "/auth/validate-token");
    twice.headers().add("X-API-Key", AuthFixture.FULL_KEY).add("X-API-Key", AuthFixture.FULL_KEY);
    assertProblem(await(twice.sendJsonObject(new JsonObject().put("token", "x.y.z"))), 401, "invalid_api_key");
    HttpRequest<Buffer> once = auth.request(0, HttpMethod.POST, "/auth/validate-token").putHeader("X-API-Key", AuthFixture.FULL_KEY);
    assertThat(await(once.sendJsonObject(new JsonObject().put("token", "x.y.z"))).statusCode()).isEqualTo(200);

    HttpRequest<Buffer> adminTwice = auth.request(0, HttpMethod.GET, "/admin/password-cache");
    adminTwice.headers().add("X-API-Key", AuthFixture.FULL_KEY).add("X-API-Key", AuthFixture.VALIDATE_KEY);
    assertProblem(await(adminTwice.send()), 401, "invalid_api_key");
    HttpRequest<Buffer> syncTwice = auth.request(0, HttpMethod.POST, "/auth/sync/user-deleted");
    syncTwice.headers().add("X-API-Key", AuthFixture.FULL_KEY).add("X-API-Key", AuthFixture.FULL_KEY);
    assertProblem(await(syncTwice.sendJsonObject(new JsonObject().put("userId", UUID.randomUUID().toString()))), 401,
      "invalid_api_key");
  }

  @Test
  void twoAuthorizationHeadersAreRefusedEvenWhenOneOfThemIsValid() {
    Credentials user = auth.users.add("twice-" + UUID.randomUUID().toString().substring(0, 8), "twice's long password");
    TokenPair pair = await(auth.module(0).sessions().open(user, "JUnit", "127.0.0.1", "twice"));
    HttpRequest<Buffer> me = auth.request(0, HttpMethod.GET, "/auth/me");
    me.headers().add("Authorization", "Bearer " + pair.accessToken()).add("Authorization", "Bearer forged.token.here");
    assertProblem(await(me.send()), 401, "invalid_token");
    HttpRequest<Buffer> logout = auth.request(0, HttpMethod.POST, "/auth/logout");
    logout.headers().add("Authorization", "Bearer forged.token.here").add("Authorization", "Bearer " + pair.accessToken());
    assertProblem(await(logout.send()), 401, "invalid_token");
    assertThat(auth.bearer(0, HttpMethod.GET, "/auth/me", pair.accessToken()).statusCode()).as("one header: accepted").isEqualTo(200);
  }

  @Test
  void aFormBodyWithABadPercentEscapeIsA400NotA500() {
    HttpResponse<Buffer> answer = await(auth.request(0, HttpMethod.POST, "/auth/introspect")
      .putHeader("X-API-Key", AuthFixture.FULL_KEY).putHeader("Content-Type", "application/x-www-form-urlencoded")
      .sendBuffer(Buffer.buffer("token=abc%zzeyJhbGciOiJSUzI1NiJ9.e30.c2ln")));
    assertProblem(answer, 400, "malformed_request");
    assertThat(answer.bodyAsString()).doesNotContain("eyJhbGci");
  }

  @Test
  void anIpv6ClientIsThrottledPerSlash64() {
    assertProblem(login("v6-a-" + UUID.randomUUID(), "wrong 1", "2001:db8:5:1::1"), 401, "invalid_credentials");
    assertProblem(login("v6-b-" + UUID.randomUUID(), "wrong 2", "2001:db8:5:1::2"), 401, "invalid_credentials");
    // a third address of the same /64 is the same client: locked after two failures
    HttpResponse<Buffer> locked = login("v6-c-" + UUID.randomUUID(), "wrong 3", "2001:db8:5:1:ffff::3");
    assertProblem(locked, 429, "too_many_attempts");
    assertThat(locked.getHeader("Retry-After")).isNotBlank();
    // the next /64 is another client
    assertProblem(login("v6-d-" + UUID.randomUUID(), "wrong 4", "2001:db8:5:2::1"), 401, "invalid_credentials");
  }
}
