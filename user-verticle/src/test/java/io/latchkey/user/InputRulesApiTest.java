package io.latchkey.user;

import io.latchkey.user.testing.UserServiceFixture;
import io.latchkey.user.testing.UserServiceTest;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static io.latchkey.common.testing.Await.await;
import static io.latchkey.user.testing.Problems.assertCompleteProblem;
import static io.latchkey.user.testing.Problems.assertProblem;
import static io.latchkey.user.testing.UserServiceFixture.bearer;
import static io.latchkey.user.testing.UserServiceFixture.key;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What an attacker sends the user service at its edge: control characters and lone surrogates in
 * bodies, paths and queries; malformed percent-escapes; unreadable requests; invisible characters
 * in emails; two X-API-Key lines. Every answer is a 4xx problem document, never a 5xx.
 */
@UserServiceTest
class InputRulesApiTest {

  private static final String PASSWORD = "a long passphrase 42";
  private final UserServiceFixture f;

  InputRulesApiTest(UserServiceFixture f) {
    this.f = f;
  }

  private static void assertFieldRefused(HttpResponse<Buffer> response, String field) {
    assertCompleteProblem(response, 400, "validation_failed");
    assertThat(response.bodyAsJsonObject().getJsonArray("errors").stream()
      .map(e -> ((JsonObject) e).getString("field")).toList()).as(response.bodyAsString()).contains(field);
  }

  /** A registration body with one field replaced by raw JSON text (escapes are JSON's). */
  private HttpResponse<Buffer> registerRaw(String field, String jsonString, String name) {
    Map<String, String> fields = new HashMap<>(Map.of("username", "\"" + name + "\"", "email", "\"" + name + "@example.com\"",
      "password", "\"" + PASSWORD + "\""));
    fields.put(field, jsonString);
    StringBuilder body = new StringBuilder("{");
    fields.forEach((k, v) -> body.append(body.length() > 1 ? "," : "").append('"').append(k).append("\":").append(v));
    return f.sendRaw(HttpMethod.POST, "/users", body.append('}').toString(), Map.of());
  }

  @Test
  void nulAndLoneSurrogatesInEveryRegistrationFieldAre400NamingTheField() {
    assertFieldRefused(registerRaw("username", "\"nul\\u0000name\"", "nul_user"), "username");
    assertFieldRefused(registerRaw("email", "\"nul\\u0000@example.com\"", "nul_email"), "email");
    assertFieldRefused(registerRaw("password", "\"long pass\\u0000phrase\"", "nul_pass"), "password");
    assertFieldRefused(registerRaw("displayName", "\"Nul \\u0000 Name\"", "nul_display"), "displayName");
    assertFieldRefused(registerRaw("password", "\"long pass\\ud800phrase\"", "surrogate_pass"), "password");
    assertFieldRefused(registerRaw("password", "\"long pass\\udc00phrase\"", "low_surrogate"), "password");
    assertFieldRefused(registerRaw("displayName", "\"c1 \\u0085 name\"", "c1_display"), "displayName");
    assertFieldRefused(registerRaw("password", "\"long pass\\u007fphrase\"", "del_pass"), "password");
    assertThat(f.rows("SELECT 1 FROM users.users WHERE username LIKE 'nul%' OR username LIKE '%surrogate%'")).isEmpty();
  }

  @Test
  void aPasswordThatOnlyLooksLikeTheLoneSurrogateOneIsAnotherPassword() {
    // before: "X\ud800Y" was encoded as "X?Y", so either logged in as the other
    f.register("qmark_user", "qmark@example.com", "long pass?phrase");
    HttpResponse<Buffer> surrogate = f.sendRaw(HttpMethod.POST, "/users/verify-credentials",
      "{\"login\":\"qmark_user\",\"password\":\"long pass\\ud800phrase\"}", key());
    assertFieldRefused(surrogate, "password");
    HttpResponse<Buffer> right = f.send(HttpMethod.POST, "/users/verify-credentials",
      new JsonObject().put("login", "qmark_user").put("password", "long pass?phrase"), key());
    assertThat(right.statusCode()).isEqualTo(200);
  }

  @Test
  void aLoneSurrogateInANewPasswordIsRefusedAndNothingChanges() {
    JsonObject owner = f.userWithToken("surrogate_change");
    String id = owner.getJsonObject("user").getString("id");
    HttpResponse<Buffer> response = f.sendRaw(HttpMethod.POST, "/users/" + id + "/change-password",
      "{\"currentPassword\":\"correct horse surrogate_change\",\"newPassword\":\"another long\\ud83dpass\"}",
      bearer(owner.getString("token")));
    assertFieldRefused(response, "newPassword");
    assertThat(f.userRow(id).get("password_version")).isEqualTo(1L);
  }

  @Test
  void nulInLookupsAndSearchIs400NotA500() {
    assertFieldRefused(f.send(HttpMethod.GET, "/users/by-username/a%00b", null, key()), "username");
    assertFieldRefused(f.send(HttpMethod.GET, "/users/by-email/a%00b@example.com", null, key()), "email");
    assertFieldRefused(f.send(HttpMethod.GET, "/users?search=a%00b", null, key()), "search");
    assertFieldRefused(f.send(HttpMethod.GET, "/users?search=%C2%85", null, key()), "search");
    assertFieldRefused(f.send(HttpMethod.GET, "/users?cursor=%00", null, key()), "cursor");
    assertFieldRefused(f.send(HttpMethod.GET, "/users?limit=1%00", null, key()), "limit");
    // and a clean lookup still works
    f.register("lookup_ok", "lookup.ok@example.com", PASSWORD);
    assertThat(f.send(HttpMethod.GET, "/users/by-username/LOOKUP_OK", null, key()).statusCode()).isEqualTo(200);
  }

  @Test
  void nulInARoleIs400() {
    JsonObject user = f.register("role_nul", "role.nul@example.com", PASSWORD);
    assertFieldRefused(f.sendRaw(HttpMethod.PUT, "/users/" + user.getString("id") + "/roles", "{\"roles\":[\"user\\u0000\"]}", key()),
      "roles");
  }

  @Test
  void malformedEscapesAndUnknownPathsAreProblemDocuments() {
    for (String path : List.of("/users/%zz", "/users/%", "/users/by-username/%zz", "/users/a?x=%", "/users?search=%zz", "/%E0%A4%A")) {
      HttpResponse<Buffer> response = f.send(HttpMethod.GET, path, null, key());
      assertCompleteProblem(response, 400, "malformed_request");
    }
    assertCompleteProblem(f.send(HttpMethod.GET, "/users/%00", null, key()), 404, "user_not_found");
    assertCompleteProblem(f.send(HttpMethod.GET, "/no/such/path", null, Map.of()), 404, "not_found");
    assertCompleteProblem(f.send(HttpMethod.PATCH, "/users", null, Map.of()), 405, "method_not_allowed");
  }

  @Test
  void requestsTheCodecCannotReadAreProblemDocumentsToo() throws IOException {
    HttpResponse<Buffer> longLine = f.send(HttpMethod.GET, "/users/" + "a".repeat(10_000), null, Map.of());
    assertCompleteProblem(longLine, 414, "uri_too_long");
    HttpResponse<Buffer> bigHeaders = f.send(HttpMethod.GET, "/users", null, Map.of("X-Big", "b".repeat(20_000)));
    assertCompleteProblem(bigHeaders, 431, "request_header_fields_too_large");
    for (String raw : List.of("GARBAGE\r\n\r\n", "GET /users HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n")) {
      String answer = rawExchange(raw);
      assertThat(answer).as(raw).startsWith("HTTP/1.").contains(" 400 ").contains("application/problem+json")
        .contains("\"code\":\"malformed_request\"");
    }
  }

  @Test
  void aHugeFieldIs413AProblem() {
    HttpResponse<Buffer> response = f.sendRaw(HttpMethod.POST, "/users",
      "{\"username\":\"huge\",\"email\":\"huge@example.com\",\"password\":\"" + "x".repeat(1_000_000) + "\"}", Map.of());
    assertCompleteProblem(response, 413, "payload_too_large");
  }

  @Test
  void invisibleAndBidiCharactersInEmailsAre400() {
    String[] invisible = {"\u200B", "\u200C", "\u200D", "\uFEFF", "\u00AD", "\u202E", "\u2066", "\u2069", "\u00A0"};
    int n = 0;
    for (String c : invisible) {
      n++;
      assertFieldRefused(f.send(HttpMethod.POST, "/users", new JsonObject().put("username", "invis" + n)
        .put("email", "in" + c + "vis" + n + "@example.com").put("password", PASSWORD), Map.of()), "email");
      assertFieldRefused(f.send(HttpMethod.POST, "/users", new JsonObject().put("username", "invisd" + n)
        .put("email", "invisd" + n + "@exam" + c + "ple.com").put("password", PASSWORD), Map.of()), "email");
    }
    JsonObject owner = f.userWithToken("invis_update");
    HttpResponse<Buffer> update = f.send(HttpMethod.PUT, "/users/" + owner.getJsonObject("user").getString("id"),
      new JsonObject().put("email", "invis.update@exa\u200Bmple.com"), bearer(owner.getString("token")));
    assertFieldRefused(update, "email");
  }

  @Test
  void twoApiKeyLinesAre401EvenWhenBothAreValid() {
    JsonObject user = f.register("two_keys", "two.keys@example.com", PASSWORD);
    String id = user.getString("id");
    for (String path : List.of("/users/" + id + "/password-hash", "/users/" + id, "/users/by-username/two_keys")) {
      var request = f.request(HttpMethod.GET, path);
      request.headers().add("X-API-Key", UserServiceFixture.FULL_KEY).add("X-API-Key", UserServiceFixture.FULL_KEY);
      HttpResponse<Buffer> twice = await(request.send());
      assertProblem(twice, 401, "invalid_api_key");
      HttpResponse<Buffer> once = await(f.request(HttpMethod.GET, path).putHeader("X-API-Key", UserServiceFixture.FULL_KEY).send());
      assertThat(once.statusCode()).as(path).isEqualTo(200);
    }
  }

  private String rawExchange(String request) throws IOException {
    try (Socket socket = new Socket("127.0.0.1", f.module.httpPort())) {
      socket.setSoTimeout(5000);
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = socket.getInputStream();
      byte[] buffer = new byte[4096];
      StringBuilder answer = new StringBuilder();
      int read;
      while ((read = in.read(buffer)) > 0) {
        answer.append(new String(buffer, 0, read, StandardCharsets.UTF_8));
        if (answer.indexOf("}") >= 0) {
          break;
        }
      }
      return answer.toString();
    }
  }

  @Test
  void twoAuthorizationHeadersAreRefusedEvenWhenOneOfThemIsValid() {
    JsonObject alice = f.userWithToken("two_headers_a");
    JsonObject bob = f.userWithToken("two_headers_b");
    String bobId = bob.getJsonObject("user").getString("id");
    var request = f.request(HttpMethod.GET, "/users/" + bobId);
    request.headers().add("Authorization", "Bearer " + alice.getString("token")).add("Authorization", "Bearer " + bob.getString("token"));
    HttpResponse<Buffer> twice = await(request.send());
    assertThat(twice.statusCode()).as(twice.bodyAsString()).isEqualTo(401);
    assertThat(twice.bodyAsJsonObject().getString("code")).isEqualTo("invalid_token");
    assertThat(f.send(HttpMethod.GET, "/users/" + bobId, null, Map.of("Authorization", "Bearer " + bob.getString("token"))).statusCode())
      .as("one header: accepted").isEqualTo(200);
  }
}
