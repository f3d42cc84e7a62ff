package io.latchkey.auth.http;

import io.latchkey.auth.testing.AuthFixture;
import io.latchkey.auth.testing.AuthTest;
import io.latchkey.common.bus.Credentials;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;

import static io.latchkey.auth.testing.Problems.assertProblem;
import static io.latchkey.common.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The account page's files and headers, and its cookie session: the refresh token only in an
 * HttpOnly, Secure, SameSite=Strict cookie scoped to /account/session, requests from other
 * origins refused, rotation, logout, and the second-factor step. Two nodes: the cookie's session
 * is a session like any other, so the other node refreshes it too.
 */
@Timeout(120)
@AuthTest(nodes = 2, settings = {"USER_SERVICE_PUBLIC_URL=https://users.example.com:8443/"})
class AccountPageTest {

  private static final String PASSWORD = "a long enough password";
  /** PUBLIC_URL's default: the page's origin. */
  private static final String ORIGIN = "http://127.0.0.1:8082";
  private static final String CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    + "connect-src 'self' https://users.example.com:8443; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

  private final AuthFixture auth;

  AccountPageTest(AuthFixture auth) {
    this.auth = auth;
  }

  /** A GET as a browser at the page's home sends it (Host localhost). */
  private HttpResponse<Buffer> get(String path) {
    return await(auth.request(0, HttpMethod.GET, path).virtualHost("localhost").send());
  }

  private HttpRequest<Buffer> post(int node, String path, String origin, String cookie) {
    HttpRequest<Buffer> request = auth.request(node, HttpMethod.POST, path);
    if (origin != null) {
      request.putHeader("Origin", origin);
    }
    if (cookie != null) {
      request.putHeader("Cookie", AccountSessionRoutes.COOKIE + "=" + cookie);
    }
    return request;
  }

  private HttpResponse<Buffer> login(Credentials user, String origin) {
    return await(post(0, "/account/session/login", origin, null)
      .sendJsonObject(new JsonObject().put("login", user.username()).put("password", PASSWORD)));
  }

  /** The one Set-Cookie of the answer. */
  private static String setCookie(HttpResponse<Buffer> response) {
    List<String> cookies = response.cookies();
    assertThat(cookies).as(response.bodyAsString()).hasSize(1);
    return cookies.get(0);
  }

  /** The refresh token the answer's cookie carries. */
  private static String cookieValue(HttpResponse<Buffer> response) {
    String cookie = setCookie(response);
    assertThat(cookie).startsWith(AccountSessionRoutes.COOKIE + "=");
    return cookie.substring(AccountSessionRoutes.COOKIE.length() + 1, cookie.indexOf(';'));
  }

  @Test
  void thePageIsServedWithAStrictPolicy() {
    HttpResponse<Buffer> page = get("/account/");
    assertThat(page.statusCode()).as(page.bodyAsString()).isEqualTo(200);
    assertThat(page.getHeader("Content-Type")).isEqualTo("text/html; charset=utf-8");
    assertThat(page.getHeader("Content-Security-Policy")).isEqualTo(CSP);
    assertThat(page.getHeader("X-Content-Type-Options")).isEqualTo("nosniff");
    assertThat(page.getHeader("X-Frame-Options")).isEqualTo("DENY");
    assertThat(page.getHeader("Referrer-Policy")).isEqualTo("no-referrer");
    assertThat(page.bodyAsString()).contains("<html");

    String etag = page.getHeader("ETag");
    assertThat(etag).startsWith("\"").endsWith("\"");
    HttpResponse<Buffer> again = await(auth.request(0, HttpMethod.GET, "/account/").virtualHost("localhost")
      .putHeader("If-None-Match", etag).send());
    assertThat(again.statusCode()).isEqualTo(304);
    assertThat(again.body()).isNull();

    // the mail links are the same page, which reads the token from the fragment
    assertThat(get("/account/reset-password").bodyAsString()).isEqualTo(page.bodyAsString());
    assertThat(get("/account/verify-email").bodyAsString()).isEqualTo(page.bodyAsString());
    assertThat(get("/account/index.html").bodyAsString()).isEqualTo(page.bodyAsString());

    HttpResponse<Buffer> bare = await(auth.request(0, HttpMethod.GET, "/account").virtualHost("localhost").followRedirects(false).send());
    assertThat(bare.statusCode()).isEqualTo(301);
    assertThat(bare.getHeader("Location")).isEqualTo("account/");

    HttpResponse<Buffer> config = get("/account/config.json");
    assertThat(config.statusCode()).isEqualTo(200);
    assertThat(config.bodyAsJsonObject()).isEqualTo(new JsonObject().put("userServiceUrl", "https://users.example.com:8443"));
    assertThat(config.getHeader("Content-Security-Policy")).isEqualTo(CSP);
  }

  @Test
  void openedAtAnIpAddressThePageMovesToItsHomeWherePasskeysWork() {
    for (String path : List.of("/account/", "/account/reset-password", "/account/verify-email")) {
      for (String host : List.of("127.0.0.1:8082", "[::1]:8082", "10.0.0.7")) {
        HttpResponse<Buffer> response = await(auth.request(0, HttpMethod.GET, path).putHeader("Host", host).followRedirects(false).send());
        assertThat(response.statusCode()).as(host + path).isEqualTo(302);
        assertThat(response.getHeader("Location")).as(host + path).isEqualTo("http://localhost:8082" + path);
      }
    }
    // the files themselves are served at any address (the page's own links are relative)
    assertThat(await(auth.request(0, HttpMethod.GET, "/account/config.json").send()).statusCode()).isEqualTo(200);
  }

  @Test
  void nothingElseIsReachableThroughThePage() {
    for (String path : List.of("/account/missing.js", "/account/..%2Fopenapi%2Fauth-service.json", "/account/%2e%2e",
      "/account/..%5Cdb", "/account/a/b.js", "/account/.hidden.js", "/account/index.html%00.js")) {
      HttpResponse<Buffer> response = get(path);
      assertThat(response.statusCode()).as(path).isIn(400, 404);
      assertThat(response.getHeader("Content-Type")).as(path).startsWith("application/problem+json");
    }
  }

  @Test
  void theRefreshTokenTravelsOnlyInAStrictHttpOnlyCookie() {
    Credentials user = auth.users.addUnique("acct", PASSWORD);
    HttpResponse<Buffer> login = login(user, ORIGIN);
    assertThat(login.statusCode()).as(login.bodyAsString()).isEqualTo(200);
    JsonObject body = login.bodyAsJsonObject();
    assertThat(body.fieldNames()).containsExactlyInAnyOrder("accessToken", "tokenType", "expiresIn", "sessionId");
    assertThat(login.getHeader("Cache-Control")).isEqualTo("no-store");
    String cookie = setCookie(login);
    assertThat(cookie).contains("; Path=/account/session").contains("; HTTPOnly").contains("; Secure")
      .contains("; SameSite=Strict").containsPattern("; Max-Age=\\d{6,}");

    // the access token is an ordinary one of an ordinary session
    HttpResponse<Buffer> sessions = auth.bearer(1, HttpMethod.GET, "/auth/sessions", body.getString("accessToken"));
    assertThat(sessions.statusCode()).isEqualTo(200);
    assertThat(sessions.bodyAsJsonObject().getJsonArray("items").getJsonObject(0).getString("id")).isEqualTo(body.getString("sessionId"));

    // rotation, on the other node
    String first = cookieValue(login);
    HttpResponse<Buffer> refreshed = await(post(1, "/account/session/refresh", ORIGIN, first).send());
    assertThat(refreshed.statusCode()).as(refreshed.bodyAsString()).isEqualTo(200);
    assertThat(refreshed.bodyAsJsonObject().getString("sessionId")).isEqualTo(body.getString("sessionId"));
    assertThat(refreshed.bodyAsJsonObject().containsKey("refreshToken")).isFalse();
    String second = cookieValue(refreshed);
    assertThat(second).isNotEqualTo(first);
    HttpResponse<Buffer> third = await(post(0, "/account/session/refresh", ORIGIN, second).sendJsonObject(new JsonObject()));
    assertThat(third.statusCode()).isEqualTo(200);

    // logout ends the session and clears the cookie
    String current = cookieValue(third);
    HttpResponse<Buffer> logout = await(post(0, "/account/session/logout", ORIGIN, current).send());
    assertThat(logout.statusCode()).isEqualTo(204);
    assertThat(setCookie(logout)).startsWith(AccountSessionRoutes.COOKIE + "=;").contains("Max-Age=0").contains("Path=/account/session");
    HttpResponse<Buffer> after = await(post(1, "/account/session/refresh", ORIGIN, current).send());
    assertProblem(after, 401, "invalid_refresh_token");
    assertThat(setCookie(after)).contains("Max-Age=0");
    assertThat(auth.liveSessionIds(user.userId())).doesNotContain(body.getString("sessionId"));
  }

  @Test
  void requestsFromElsewhereAreRefused() {
    Credentials user = auth.users.addUnique("cross", PASSWORD);
    for (String origin : new String[] {null, "https://evil.example", "null", "http://127.0.0.1:8082.evil.example", "http://127.0.0.1"}) {
      HttpResponse<Buffer> response = login(user, origin);
      assertProblem(response, 403, "forbidden");
      assertThat(response.cookies()).as(String.valueOf(origin)).isEmpty();
    }
    // the page's home (the first of WEBAUTHN_ORIGINS) is the page's origin, whatever the Host
    HttpResponse<Buffer> home = login(user, "http://localhost:8082");
    assertThat(home.statusCode()).as(home.bodyAsString()).isEqualTo(200);
    // and so is the request's own origin (its Host), whatever PUBLIC_URL says
    String own = "http://127.0.0.1:" + auth.module(0).httpPort();
    HttpResponse<Buffer> ok = login(user, own);
    assertThat(ok.statusCode()).as(ok.bodyAsString()).isEqualTo(200);
    String token = cookieValue(ok);

    assertProblem(await(post(0, "/account/session/refresh", "https://evil.example", token).send()), 403, "forbidden");
    assertProblem(await(post(0, "/account/session/logout", null, token).send()), 403, "forbidden");
    // a browser sends one Origin: two are refused, whichever comes first
    for (String[] pair : new String[][] {{ORIGIN, "https://evil.example"}, {"https://evil.example", ORIGIN}}) {
      HttpRequest<Buffer> twice = post(0, "/account/session/logout", pair[0], token);
      twice.headers().add("Origin", pair[1]);
      assertProblem(await(twice.send()), 403, "forbidden");
    }
    // nothing was ended or rotated by the refused calls
    HttpResponse<Buffer> refreshed = await(post(0, "/account/session/refresh", ORIGIN, token).send());
    assertThat(refreshed.statusCode()).as(refreshed.bodyAsString()).isEqualTo(200);
  }

  @Test
  void withoutACookieThereIsNoSession() {
    HttpResponse<Buffer> refresh = await(post(0, "/account/session/refresh", ORIGIN, null).send());
    assertProblem(refresh, 401, "invalid_refresh_token");
    assertThat(setCookie(refresh)).contains("Max-Age=0");
    assertProblem(await(post(0, "/account/session/refresh", ORIGIN, "forged.token").send()), 401, "invalid_refresh_token");
    assertThat(await(post(0, "/account/session/logout", ORIGIN, null).send()).statusCode()).isEqualTo(204);
    assertThat(await(post(0, "/account/session/logout", ORIGIN, "forged.token").send()).statusCode()).isEqualTo(204);
    assertProblem(await(post(0, "/account/session/refresh", ORIGIN, null).sendJsonObject(new JsonObject().put("refreshToken", "x"))),
      400, "validation_failed");
  }

  @Test
  void theSecondFactorStepSetsTheCookieAndTheFirstDoesNot() {
    Credentials user = auth.users.addUnique("acctmfa", PASSWORD);
    var factor = auth.users.enableTotp(user.userId());
    HttpResponse<Buffer> first = login(user, ORIGIN);
    assertThat(first.statusCode()).as(first.bodyAsString()).isEqualTo(200);
    assertThat(first.bodyAsJsonObject().getBoolean("mfaRequired")).isTrue();
    assertThat(first.cookies()).isEmpty();

    JsonObject step = new JsonObject().put("mfaToken", first.bodyAsJsonObject().getString("mfaToken")).put("code", factor.code());
    assertProblem(await(post(0, "/account/session/login/mfa", "https://evil.example", null).sendJsonObject(step)), 403, "forbidden");
    HttpResponse<Buffer> second = await(post(1, "/account/session/login/mfa", ORIGIN, null).sendJsonObject(step));
    assertThat(second.statusCode()).as(second.bodyAsString()).isEqualTo(200);
    assertThat(setCookie(second)).contains("; HTTPOnly");
    assertThat(second.bodyAsJsonObject().containsKey("refreshToken")).isFalse();
  }

  @Test
  void aPasskeyLoginTakesTheSameBodyAsTheApi() {
    HttpResponse<Buffer> response = await(post(0, "/account/session/passkey", ORIGIN, null)
      .sendJsonObject(new JsonObject().put("challengeId", "not-a-uuid")));
    assertProblem(response, 400, "validation_failed");
    assertThat(response.cookies()).isEmpty();
  }
}
