package io.latchkey.launcher.keycloak;

import io.latchkey.user.testing.UserServiceFixture;
import io.latchkey.user.testing.UserServiceTest;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static io.latchkey.launcher.keycloak.KeycloakExportTest.DIRECTORY;
import static io.latchkey.launcher.keycloak.KeycloakExportTest.INLINE;
import static io.latchkey.launcher.keycloak.KeycloakExportTest.password;
import static io.latchkey.launcher.keycloak.KeycloakExportTest.realm;
import static io.latchkey.launcher.keycloak.KeycloakExportTest.user;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * import-keycloak against a real user service (its own database): the Keycloak fixture imported
 * with its hashes, roles, emailVerified and disabled, a re-run (the other export shape, small
 * chunks) skipping everything; errors named by username across chunks; a refused key and a
 * service that is not there stop the import with exit 1.
 */
@UserServiceTest
class KeycloakImportTest {

  private final UserServiceFixture f;

  @TempDir
  Path dir;

  KeycloakImportTest(UserServiceFixture f) {
    this.f = f;
  }

  /** One run of the command: its exit status and what it printed. */
  record Run(int status, String out, String err) {
  }

  private Run importKeycloak(Path realmFile, URI service, String key, int chunk) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int status = new KeycloakImport(new UserServiceClient(service, key), chunk, new PrintStream(out, true, StandardCharsets.UTF_8),
      new PrintStream(err, true, StandardCharsets.UTF_8)).run(realmFile);
    return new Run(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private URI service() {
    return URI.create("http://127.0.0.1:" + f.module.httpPort() + "/");
  }

  @Test
  void theKeycloakExportIsImportedAndARerunSkipsEveryUser() {
    Map<String, JsonObject> lines = KeycloakExportTest.lines(INLINE);

    Run first = importKeycloak(INLINE, service(), UserServiceFixture.FULL_KEY, KeycloakImport.CHUNK);

    assertThat(first.status()).as(first.out() + first.err()).isZero();
    assertThat(first.err()).isEmpty();
    assertThat(first.out()).contains("realm latchkey-import, 1 file(s) read", "users read                6",
      "created                   6", "skipped                   0", "service accounts skipped  0", "errors                    0");
    for (String name : lines.keySet()) {
      Map<String, Object> row = f.rows("SELECT email, display_name, array_to_string(roles, ',') AS roles, email_verified, disabled, "
        + "password_hash, password_version FROM users.users WHERE username = ?", name).get(0);
      JsonObject line = lines.get(name);
      assertThat(row.get("email")).isEqualTo(line.getString("email"));
      assertThat(row.get("display_name")).isEqualTo(line.getString("displayName"));
      assertThat(row.get("roles")).as(name).isEqualTo(name.equals("pbkdf-bob") ? "user,admin" : "user");
      assertThat(row.get("email_verified")).as(name).isEqualTo(!name.equals("pbkdf-carol"));
      assertThat(row.get("disabled")).as(name).isEqualTo(name.equals("pbkdf-dave"));
      assertThat(row.get("password_version")).isEqualTo(1L);
      if (name.equals("nopass-erin")) {
        assertThat((String) row.get("password_hash")).as("no password: a hash nobody knows the password of").startsWith("$2a$04$");
      } else {
        assertThat(row.get("password_hash")).as(name).isEqualTo(line.getString("passwordHash"));
      }
    }
    assertThat(f.rows("SELECT display_name FROM users.users WHERE username = 'umlaut-ute'").get(0).get("display_name"))
      .isEqualTo("Ute Müller");

    // the other shape of the same export, two users a request: every user is already there
    Run again = importKeycloak(DIRECTORY, service(), UserServiceFixture.FULL_KEY, 2);

    assertThat(again.status()).as(again.out() + again.err()).isZero();
    assertThat(again.out()).contains("realm latchkey-import, 3 file(s) read", "users read                6",
      "created                   0", "skipped                   6", "errors                    0");
    assertThat(f.rows("SELECT count(*) AS n FROM users.users WHERE username IN ('argon-alice', 'umlaut-ute', 'pbkdf-bob', "
      + "'pbkdf-carol', 'pbkdf-dave', 'nopass-erin')").get(0).get("n")).isEqualTo(6L);
  }

  @Test
  void errorsAreNamedByUsernameAcrossChunksAndExitWithThree() throws IOException {
    JsonObject hostileArgon2 = new JsonObject().put("type", "password")
      .put("secretData", "{\"value\":\"" + "A".repeat(43) + "=\",\"salt\":\"AAAAAAAAAAAAAAAAAAAAAA==\"}")
      .put("credentialData", "{\"hashIterations\":5,\"algorithm\":\"argon2\",\"additionalParameters\":{\"hashLength\":[\"32\"],"
        + "\"memory\":[\"4194304\"],\"type\":[\"id\"],\"version\":[\"1.3\"],\"parallelism\":[\"1\"]}}");
    Path file = Files.writeString(dir.resolve("odd-realm.json"), realm("odd",
      user("odd_first").put("credentials", new JsonArray().add(password("pbkdf2-sha256", 27_500, null))),
      user("x"),                                                             // chunk 1, line 2: too short a username
      user("odd_svc").put("serviceAccountClientId", "backend"),
      user("odd_bcrypt").put("credentials", new JsonArray().add(new JsonObject().put("type", "password")
        .put("secretData", "{\"value\":\"c2VjcmV0\",\"salt\":\"AAAAAAAAAAAAAAAAAAAAAA==\"}")
        .put("credentialData", "{\"hashIterations\":10,\"algorithm\":\"bcrypt\"}"))),  // not posted
      user("odd_nomail").putNull("email"),                                   // chunk 2, line 1
      user("odd_costly").put("credentials", new JsonArray().add(hostileArgon2)),      // chunk 2, line 2
      user("odd_last")).encode());

    Run run = importKeycloak(file, service(), UserServiceFixture.FULL_KEY, 2);

    assertThat(run.status()).as(run.out() + run.err()).isEqualTo(KeycloakImport.EXIT_USER_ERRORS);
    assertThat(run.out()).contains("users read                7", "created                   2", "service accounts skipped  1",
      "errors                    4",
      "    x: validation_failed: username: ",
      "    odd_bcrypt: validation_failed: password credential: The Keycloak credential algorithm 'bcrypt' is not taken",
      "    odd_nomail: validation_failed: email: The email is required.",
      "    odd_costly: validation_failed: passwordHash: The argon2 memory");
    assertThat(run.out()).doesNotContain("c2VjcmV0", "AAAAAAAAAAAAAAAAAAAAAA");
    assertThat(f.rows("SELECT username FROM users.users WHERE username LIKE 'odd_%' ORDER BY username"))
      .extracting(r -> r.get("username")).containsExactly("odd_first", "odd_last");
  }

  @Test
  void aRefusedKeyStopsTheImportWithTheProblemAndNeverPrintsTheKey() {
    Run run = importKeycloak(INLINE, service(), "not-the-key-of-this-service", KeycloakImport.CHUNK);

    assertThat(run.status()).isEqualTo(KeycloakImport.EXIT_FAILED);
    assertThat(run.err()).contains("the user service refused the import: HTTP 401 invalid_api_key",
      "API_KEY must be a full key of the user service");
    assertThat(run.out() + run.err()).doesNotContain("not-the-key-of-this-service");
    assertThat(run.out()).isEmpty();
  }

  @Test
  void aServiceThatIsNotThereStopsTheImportWithAClearMessage() throws IOException {
    int closedPort;
    try (ServerSocket socket = new ServerSocket(0)) {
      closedPort = socket.getLocalPort();
    }
    Run run = importKeycloak(INLINE, URI.create("http://127.0.0.1:" + closedPort), UserServiceFixture.FULL_KEY, KeycloakImport.CHUNK);

    assertThat(run.status()).isEqualTo(KeycloakImport.EXIT_FAILED);
    assertThat(run.err()).startsWith("import-keycloak: cannot connect to the user service at http://127.0.0.1:" + closedPort
      + "/admin/users/import");
    assertThat(List.of(run.out(), run.err())).noneMatch(s -> s.contains(UserServiceFixture.FULL_KEY));
  }
}
