package io.latchkey.user;

import at.favre.lib.crypto.bcrypt.BCrypt;
import io.latchkey.common.testing.ImportedHashes;
import io.latchkey.user.testing.UserServiceFixture;
import io.latchkey.user.testing.UserServiceTest;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.client.HttpRequest;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static io.latchkey.common.testing.Await.await;
import static io.latchkey.user.testing.Problems.assertProblem;
import static io.latchkey.user.testing.UserServiceFixture.VALIDATE_KEY;
import static io.latchkey.user.testing.UserServiceFixture.bearer;
import static io.latchkey.user.testing.UserServiceFixture.key;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * POST /admin/users/import: good lines created with what they say, every kind of bad line an error
 * line with registration's code, duplicates (in the file, against existing users) skipped, a re-run
 * skipping everything, the full key only, a body over 64 KiB. (100,000 lines: {@link ImportVolumeTest}.)
 */
@UserServiceTest
class ImportApiTest {

  static final String PATH = "/admin/users/import";
  private static final Base64.Encoder PHC = Base64.getEncoder().withoutPadding();
  /** Keycloak 26's default argon2id parameters (7 MiB, 5 iterations, 1 lane); salt and hash need not match a password. */
  private static final String ARGON2 = "$argon2id$v=19$m=7168,t=5,p=1$" + PHC.encodeToString(bytes(16, 1)) + "$"
    + PHC.encodeToString(bytes(32, 2));
  /** An argon2 hash claiming 4 GiB of memory: refused at import, not at login. */
  private static final String ARGON2_HOSTILE = "$argon2id$v=19$m=4194304,t=5,p=1$" + PHC.encodeToString(bytes(16, 1)) + "$"
    + PHC.encodeToString(bytes(32, 2));
  private static final String PBKDF2 = "$pbkdf2-sha256$i=600000,l=32$" + PHC.encodeToString(bytes(16, 3)) + "$"
    + PHC.encodeToString(bytes(32, 4));

  private final UserServiceFixture f;

  ImportApiTest(UserServiceFixture f) {
    this.f = f;
  }

  @Test
  void goodLinesAreCreatedBadLinesAreErrorsAndDuplicatesAreSkipped() {
    f.register("imp_taken", "imp_taken@example.com", "correct horse imp_taken");
    String bcrypt = new String(BCrypt.withDefaults().hash(4, "old password of ann".getBytes(StandardCharsets.UTF_8)),
      StandardCharsets.UTF_8);
    String body = String.join("\n",
      /* 1 */ line("imp_ann", "imp_ann@example.com").put("displayName", "Ann").put("passwordHash", bcrypt).encode(),
      /* 2 */ line("imp_bob", " IMP_Bob@Example.com").put("roles", new JsonArray().add("admin").add("user"))
        .put("emailVerified", true).put("passwordHash", ARGON2).encode(),
      /* 3 */ line("imp_cy", "imp_cy@example.com").put("disabled", true).put("passwordHash", PBKDF2).encode(),
      /* 4 */ line("imp_dee", "imp_dee@example.com").encode(),
      /* 5 */ "",
      /* 6 */ "{\"username\": \"imp_broken\",",
      /* 7 */ "[1, 2]",
      /* 8 */ new JsonObject().put("email", "imp_nouser@example.com").encode(),
      /* 9 */ new JsonObject().put("username", "imp_nomail").encode(),
      /* 10 */ line("a", "imp_short@example.com").encode(),
      /* 11 */ line("imp_badmail", "not-an-address").encode(),
      /* 12 */ line("imp_role", "imp_role@example.com").put("roles", new JsonArray().add("root")).encode(),
      /* 13 */ line("imp_hash", "imp_hash@example.com").put("passwordHash", "md5:5f4dcc3b5aa765d61d8327deb882cf99").encode(),
      /* 14 */ line("imp_cost", "imp_cost@example.com").put("passwordHash", ARGON2_HOSTILE).encode(),
      /* 15 */ line("imp_field", "imp_field@example.com").put("password", "plain").encode(),
      /* 16 */ line("imp_long", "imp_long@example.com").put("displayName", "x".repeat(20_000)).encode(),
      /* 17 */ line("IMP_ANN", "imp_ann2@example.com").encode(),
      /* 18 */ line("imp_ann3", "Imp_Ann@example.com").encode(),
      /* 19 */ line("imp_taken", "imp_other@example.com").encode(),
      /* 20 */ line("imp_other", "IMP_TAKEN@example.com").encode(),
      /* 21 */ line("imp_flag", "imp_flag@example.com").put("disabled", "yes").encode()) + "\n";

    HttpResponse<Buffer> response = importBody(body, key());

    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    JsonObject summary = response.bodyAsJsonObject();
    assertThat(summary.getLong("created")).isEqualTo(4);
    assertThat(summary.getLong("skipped")).isEqualTo(4);
    assertThat(summary.getLong("errorCount")).isEqualTo(12);
    Map<Long, String> codes = summary.getJsonArray("errors").stream().map(JsonObject.class::cast)
      .collect(Collectors.toMap(e -> e.getLong("line"), e -> e.getString("code")));
    assertThat(codes).containsExactlyInAnyOrderEntriesOf(Map.ofEntries(
      Map.entry(6L, "malformed_line"), Map.entry(7L, "malformed_line"), Map.entry(8L, "validation_failed"),
      Map.entry(9L, "validation_failed"), Map.entry(10L, "validation_failed"), Map.entry(11L, "validation_failed"),
      Map.entry(12L, "validation_failed"), Map.entry(13L, "validation_failed"), Map.entry(14L, "validation_failed"),
      Map.entry(15L, "validation_failed"), Map.entry(16L, "malformed_line"), Map.entry(21L, "validation_failed")));
    // API.md: a validation_failed message names the field
    Map<Long, String> messages = summary.getJsonArray("errors").stream().map(JsonObject.class::cast)
      .collect(Collectors.toMap(e -> e.getLong("line"), e -> e.getString("message")));
    assertThat(messages.get(13L)).startsWith("passwordHash: ");
    assertThat(messages.get(14L)).startsWith("passwordHash: ").contains("argon2 memory");
    assertThat(messages.get(21L)).contains("disabled");
    assertThat(messages.get(12L)).startsWith("roles: ");
    // the messages say what is wrong, never repeat the line (nor its hash)
    summary.getJsonArray("errors").stream().map(JsonObject.class::cast).forEach(e ->
      assertThat(e.getString("message")).isNotBlank().doesNotContain("$argon2id").doesNotContain("md5:"));
    assertThat(summary.getJsonArray("errors").getJsonObject(0).getLong("line")).isEqualTo(6);

    Map<String, Object> ann = userByName("imp_ann");
    assertThat(ann.get("password_hash")).isEqualTo(bcrypt);
    assertThat(ann.get("password_version")).isEqualTo(1L);
    assertThat(ann.get("display_name")).isEqualTo("Ann");
    assertThat(ann.get("email_verified")).isEqualTo(false);
    assertThat(ann.get("disabled")).isEqualTo(false);
    assertThat(f.rows("SELECT array_to_string(roles, ',') AS roles FROM users.users WHERE username = 'imp_ann'").get(0).get("roles"))
      .isEqualTo("user");

    Map<String, Object> bob = userByName("imp_bob");
    assertThat(bob.get("email")).isEqualTo("imp_bob@example.com");
    assertThat(bob.get("email_verified")).isEqualTo(true);
    assertThat(bob.get("password_hash")).isEqualTo(ARGON2);
    assertThat(f.rows("SELECT array_to_string(roles, ',') AS roles FROM users.users WHERE username = 'imp_bob'").get(0).get("roles"))
      .isEqualTo("user,admin");
    assertThat(userByName("imp_cy").get("disabled")).isEqualTo(true);
    assertThat(userByName("imp_cy").get("password_hash")).isEqualTo(PBKDF2);

    // without a hash: the service's bcrypt (its cost) of a secret nobody has, never NULL
    String reset = (String) userByName("imp_dee").get("password_hash");
    assertThat(reset).startsWith("$2a$04$").hasSize(60);
    assertThat(userByName("imp_dee").get("password_version")).isEqualTo(1L);

    // the existing user is untouched, the in-file duplicates (other case) did not get in
    assertThat(f.rows("SELECT 1 FROM users.users WHERE lower(username) IN ('imp_ann3', 'imp_other')")).isEmpty();
    assertThat(f.rows("SELECT email FROM users.users WHERE username = 'imp_taken'").get(0).get("email"))
      .isEqualTo("imp_taken@example.com");

    // an imported bcrypt hash is a working password
    HttpResponse<Buffer> login = f.send(HttpMethod.POST, "/users/verify-credentials",
      new JsonObject().put("login", "imp_ann").put("password", "old password of ann"), key());
    assertThat(login.statusCode()).as(login.bodyAsString()).isEqualTo(200);

    // one audit event for the request, with its counts and no hash
    List<Map<String, Object>> events = f.rows("SELECT * FROM users.audit_events WHERE type = 'users.imported' AND reason LIKE 'created=4 %'");
    assertThat(events).hasSize(1);
    assertThat(events.get(0).get("reason")).isEqualTo("created=4 skipped=4 errors=12");
    assertThat(events.get(0).get("user_id")).isNull();
    assertThat((String) events.get(0).get("actor")).startsWith("key:");
    assertThat(f.rows("SELECT 1 FROM users.audit_events WHERE reason LIKE '%$%'")).isEmpty();
  }

  @Test
  void aSecondRunOfTheSameFileSkipsEverything() {
    String body = IntStream.range(0, 5).mapToObj(i -> line("imp_again" + i, "imp_again" + i + "@example.com").encode())
      .collect(Collectors.joining("\n"));
    JsonObject first = importBody(body, key()).bodyAsJsonObject();
    assertThat(first.getLong("created")).isEqualTo(5);
    assertThat(first.getLong("skipped")).isZero();

    JsonObject second = importBody(body, key()).bodyAsJsonObject();
    assertThat(second.getLong("created")).isZero();
    assertThat(second.getLong("skipped")).isEqualTo(5);
    assertThat(second.getJsonArray("errors")).isEmpty();
    assertThat(f.rows("SELECT 1 FROM users.users WHERE username LIKE 'imp_again%'")).hasSize(5);
  }

  @Test
  void onlyAFullKeyMayImport() {
    JsonObject admin = f.userWithToken("imp_admin", "user", "admin");
    String body = line("imp_refused", "imp_refused@example.com").encode() + "\n";

    assertProblem(importBody(body, Map.of("X-API-Key", VALIDATE_KEY)), 401, "invalid_api_key");
    assertProblem(importBody(body, bearer(admin.getString("token"))), 401, "invalid_api_key");
    assertProblem(importBody(body, Map.of()), 401, "invalid_api_key");
    assertThat(f.rows("SELECT 1 FROM users.users WHERE username = 'imp_refused'")).isEmpty();
  }

  @Test
  void aRefusedImportOfALargeBodyIsAnsweredWithoutReadingIt() {
    String body = IntStream.range(0, 3000).mapToObj(i -> line("imp_unread" + i, "imp_unread" + i + "@example.com").encode())
      .collect(Collectors.joining("\n"));
    assertProblem(importBody(body, Map.of()), 401, "invalid_api_key");
    assertThat(f.rows("SELECT 1 FROM users.users WHERE username LIKE 'imp_unread%'")).isEmpty();
  }

  @Test
  void anotherMediaTypeIsRefused() {
    HttpRequest<Buffer> request = f.request(HttpMethod.POST, PATH).putHeader("Content-Type", "application/json");
    key().forEach(request::putHeader);
    assertProblem(await(request.sendBuffer(Buffer.buffer(line("imp_json", "imp_json@example.com").encode()))), 415,
      "unsupported_media_type");
  }

  @Test
  void aBodyOverTheUsual64KibLimitIsImportedAcrossBatches() {
    // ~ 150 bytes a line: 1,200 lines are ~180 KB, three batches of 500
    String hash = new String(BCrypt.withDefaults().hash(4, "pw".getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
    String body = IntStream.range(0, 1200).mapToObj(i -> line("imp_big" + i, "imp_big" + i + "@example.com")
      .put("passwordHash", hash).encode()).collect(Collectors.joining("\r\n"));
    assertThat(body.length()).isGreaterThan(64 * 1024);

    HttpResponse<Buffer> response = importBody(body, key());

    assertThat(response.statusCode()).as(response.bodyAsString()).isEqualTo(200);
    assertThat(response.bodyAsJsonObject().getLong("created")).isEqualTo(1200);
    assertThat(response.bodyAsJsonObject().getLong("errorCount")).isZero();
    assertThat(f.rows("SELECT 1 FROM users.users WHERE username LIKE 'imp\\_big%'")).hasSize(1200);
  }

  @Test
  void theErrorListIsBoundedButEveryErrorIsCounted() {
    String body = "not json\n".repeat(1500);
    JsonObject summary = importBody(body, key()).bodyAsJsonObject();
    assertThat(summary.getJsonArray("errors")).hasSize(1000);
    assertThat(summary.getLong("errorCount")).isEqualTo(1500);
    assertThat(summary.getJsonArray("errors").getJsonObject(999).getLong("line")).isEqualTo(1000);
  }

  // ---- helpers

  private HttpResponse<Buffer> importBody(String body, Map<String, String> headers) {
    HttpRequest<Buffer> request = f.request(HttpMethod.POST, PATH).putHeader("Content-Type", "application/x-ndjson");
    headers.forEach(request::putHeader);
    return await(request.sendBuffer(Buffer.buffer(body)));
  }

  private Map<String, Object> userByName(String username) {
    List<Map<String, Object>> rows = f.rows("SELECT * FROM users.users WHERE username = ?", username);
    assertThat(rows).as(username).hasSize(1);
    return rows.get(0);
  }

  @Test
  void importedUsersProveTheirPasswordsWhereverAPasswordIsAsked() {
    String body = String.join("\n",
      line("imp_argon", "imp_argon@example.com").put("passwordHash", ImportedHashes.argon2id("argon's old pass")).encode(),
      line("imp_pbkdf", "imp_pbkdf@example.com").put("passwordHash", ImportedHashes.pbkdf2Sha256("pbkdf's old pass")).encode());
    assertThat(importBody(body, key()).bodyAsJsonObject().getLong("created")).isEqualTo(2);

    // verify-credentials, by each hash's own rule
    assertThat(verifyCredentials("imp_argon", "argon's old pass")).isEqualTo(200);
    assertThat(verifyCredentials("imp_pbkdf", "pbkdf's old pass")).isEqualTo(200);
    assertThat(verifyCredentials("imp_pbkdf", "argon's old pass")).isEqualTo(401);

    // the current password of a change, before any login upgraded the hash
    String id = userByName("imp_pbkdf").get("id").toString();
    String token = f.auth.issueToken(id, "imp_pbkdf", "user");
    assertProblem(f.send(HttpMethod.POST, "/users/" + id + "/change-password",
      new JsonObject().put("currentPassword", "not it").put("newPassword", "pbkdf's new passphrase"), bearer(token)),
      403, "invalid_current_password");
    assertThat(f.send(HttpMethod.POST, "/users/" + id + "/change-password",
      new JsonObject().put("currentPassword", "pbkdf's old pass").put("newPassword", "pbkdf's new passphrase"), bearer(token))
      .statusCode()).isEqualTo(204);
    assertThat(userByName("imp_pbkdf").get("password_hash").toString()).startsWith("$2a$04$");
    assertThat(verifyCredentials("imp_pbkdf", "pbkdf's new passphrase")).isEqualTo(200);
  }

  private int verifyCredentials(String login, String password) {
    return f.send(HttpMethod.POST, "/users/verify-credentials", new JsonObject().put("login", login).put("password", password), key())
      .statusCode();
  }

  static JsonObject line(String username, String email) {
    return new JsonObject().put("username", username).put("email", email);
  }

  private static byte[] bytes(int n, int seed) {
    byte[] b = new byte[n];
    for (int i = 0; i < n; i++) {
      b[i] = (byte) (seed * 31 + i);
    }
    return b;
  }
}
