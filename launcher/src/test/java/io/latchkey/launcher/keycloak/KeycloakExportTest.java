package io.latchkey.launcher.keycloak;

import io.latchkey.common.hash.HashLimits;
import io.latchkey.common.hash.PasswordHash;
import io.latchkey.common.hash.PasswordHashes;
import io.latchkey.common.hash.UnsupportedHashException;
import io.latchkey.launcher.keycloak.KeycloakExport.ExportException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The realm export a real Keycloak 26.7.3 wrote (user-verticle/src/test/resources/keycloak, its
 * README lists the users and passwords), in both shapes: every user's import line as expected, and
 * every converted hash verifying with the user's Keycloak password. Then the odd exports: service
 * accounts, several passwords, unconvertible credentials, missing or misnamed users files.
 */
public class KeycloakExportTest {

  static final Path FIXTURE = Path.of("..").toAbsolutePath().normalize().resolve("user-verticle/src/test/resources/keycloak");
  public static final Path INLINE = FIXTURE.resolve("latchkey-import-realm.json");
  static final Path DIRECTORY = FIXTURE.resolve("different_files/latchkey-import-realm.json");
  /** The README's passwords. */
  public static final Map<String, String> PASSWORDS = Map.of(
    "argon-alice", "alice-Argon2-pass!",
    "umlaut-ute", "Grüße-aus-Köln 42",
    "pbkdf-bob", "bob-Pbkdf2-sha256-pass",
    "pbkdf-carol", "carol-Pbkdf2-sha512-pass",
    "pbkdf-dave", "dave-Pbkdf2-sha1-pass");

  @TempDir
  Path dir;

  static Map<String, JsonObject> lines(Path realmFile) {
    Map<String, JsonObject> lines = new LinkedHashMap<>();
    KeycloakExport.read(realmFile, user -> lines.put(user.username(), user.importLine()));
    return lines;
  }

  @Test
  void everyUserOfTheInlineExportBecomesTheLineItShould() {
    Map<String, JsonObject> lines = lines(INLINE);

    assertThat(lines.keySet()).containsExactly("argon-alice", "nopass-erin", "pbkdf-bob", "pbkdf-carol", "pbkdf-dave", "umlaut-ute");
    assertLine(lines.get("argon-alice"), "argon-alice", "alice@example.com", "Alice Argon", List.of("user"), true, false, "$argon2id$v=19$m=7168,t=5,p=1$");
    assertLine(lines.get("umlaut-ute"), "umlaut-ute", "ute@example.com", "Ute Müller", List.of("user"), true, false, "$argon2id$v=19$m=7168,t=5,p=1$");
    assertLine(lines.get("pbkdf-bob"), "pbkdf-bob", "bob@example.com", "Bob Sha256", List.of("user", "admin"), true, false, "$pbkdf2-sha256$i=600000,l=32$");
    assertLine(lines.get("pbkdf-carol"), "pbkdf-carol", "carol@example.com", null, List.of("user"), false, false, "$pbkdf2-sha512$i=210000,l=64$");
    assertLine(lines.get("pbkdf-dave"), "pbkdf-dave", "dave@example.com", null, List.of("user"), true, true, "$pbkdf2-sha1$i=1300000,l=64$");
    assertLine(lines.get("nopass-erin"), "nopass-erin", "erin@example.com", null, List.of("user"), true, false, null);
  }

  @Test
  void theDirectoryExportReadsTheUsersFilesInOrderAndGivesTheSameLines() {
    List<String> order = new ArrayList<>();
    Map<String, JsonObject> lines = new LinkedHashMap<>();
    KeycloakExport.Read read = KeycloakExport.read(DIRECTORY, user -> {
      order.add(user.username());
      lines.put(user.username(), user.importLine());
    });

    assertThat(read.realm()).isEqualTo("latchkey-import");
    assertThat(read.files()).extracting(f -> f.getFileName().toString())
      .containsExactly("latchkey-import-realm.json", "latchkey-import-users-0.json", "latchkey-import-users-1.json");
    // users-0 holds alice, erin, bob; users-1 carol, dave, ute
    assertThat(order).containsExactly("argon-alice", "nopass-erin", "pbkdf-bob", "pbkdf-carol", "pbkdf-dave", "umlaut-ute");
    assertThat(lines).isEqualTo(lines(INLINE));
  }

  @Test
  void everyConvertedHashVerifiesWithTheKeycloakPasswordAndNoOther() {
    Map<String, JsonObject> lines = lines(INLINE);
    for (Map.Entry<String, String> user : PASSWORDS.entrySet()) {
      PasswordHash hash = PasswordHashes.parse(lines.get(user.getKey()).getString("passwordHash"), HashLimits.defaults());
      assertThat(hash.verify(user.getValue())).as(user.getKey() + "'s password").isTrue();
    }
    // a wrong password, and Ute's password in NFD (Keycloak hashed the NFC bytes): refused
    assertThat(PasswordHashes.parse(lines.get("argon-alice").getString("passwordHash"), HashLimits.defaults())
      .verify("alice-Argon2-pass?")).isFalse();
    assertThat(PasswordHashes.parse(lines.get("umlaut-ute").getString("passwordHash"), HashLimits.defaults())
      .verify(java.text.Normalizer.normalize("Grüße-aus-Köln 42", java.text.Normalizer.Form.NFD))).isFalse();
    assertThat(PasswordHashes.parse(lines.get("pbkdf-bob").getString("passwordHash"), HashLimits.defaults())
      .verify("carol-Pbkdf2-sha512-pass")).isFalse();
  }

  @Test
  void serviceAccountsAreMarkedAndTheOtherCredentialTypesPassedOver() throws IOException {
    Path file = write("r.json", realm("r", user("svc").put("serviceAccountClientId", "backend"),
      user("two").put("credentials", new JsonArray()
        .add(new JsonObject().put("type", "otp").put("secretData", "{}").put("credentialData", "{}"))
        .add(password("pbkdf2-sha256", 27_500, null))
        .add(new JsonObject().put("type", "webauthn")))));
    List<KeycloakUser> users = new ArrayList<>();
    KeycloakExport.read(file, users::add);

    assertThat(users.get(0).serviceAccount()).isTrue();
    assertThat(users.get(1).serviceAccount()).isFalse();
    assertThat(users.get(1).passwords()).hasSize(1);
    assertThat(users.get(1).importLine().getString("passwordHash")).startsWith("$pbkdf2-sha256$i=27500,l=32$");
  }

  @Test
  void ofSeveralPasswordsTheLowestPriorityIsTakenElseTheFirst() throws IOException {
    Path file = write("r.json", realm("r",
      user("ranked").put("credentials", new JsonArray()
        .add(password("pbkdf2-sha256", 1000, 20)).add(password("pbkdf2-sha512", 2000, 10)).add(password("pbkdf2", 3000, 30))),
      user("unranked").put("credentials", new JsonArray()
        .add(password("pbkdf2-sha512", 4000, null)).add(password("pbkdf2-sha256", 5000, null)))));
    Map<String, JsonObject> lines = lines(file);

    assertThat(lines.get("ranked").getString("passwordHash")).startsWith("$pbkdf2-sha512$i=2000,");
    assertThat(lines.get("unranked").getString("passwordHash")).startsWith("$pbkdf2-sha512$i=4000,");
  }

  @Test
  void aCredentialThatCannotBeConvertedIsRefusedWithoutTheHash() throws IOException {
    Path file = write("r.json", realm("r",
      user("bcrypt-user").put("credentials", new JsonArray().add(new JsonObject().put("type", "password")
        .put("secretData", "{\"value\":\"c2VjcmV0LWhhc2g=\",\"salt\":\"AAAAAAAAAAAAAAAAAAAAAA==\"}")
        .put("credentialData", "{\"hashIterations\":10,\"algorithm\":\"bcrypt\"}"))),
      user("broken").put("credentials", new JsonArray().add(new JsonObject().put("type", "password")
        .put("secretData", "not json").put("credentialData", "{\"hashIterations\":1,\"algorithm\":\"pbkdf2\"}")))));
    List<KeycloakUser> users = new ArrayList<>();
    KeycloakExport.read(file, users::add);

    assertThatThrownBy(() -> users.get(0).importLine()).isInstanceOf(UnsupportedHashException.class)
      .hasMessageContaining("'bcrypt'").hasMessageNotContaining("c2VjcmV0");
    assertThatThrownBy(() -> users.get(1).importLine()).isInstanceOf(UnsupportedHashException.class)
      .hasMessageContaining("secretData");
  }

  @Test
  void keycloaksDefaultsAreFollowedForMissingFieldsAndAnEmptyNameIsNoDisplayName() throws IOException {
    Path file = write("r.json", realm("r", new JsonObject().put("username", "bare").put("email", "bare@example.com")
      .put("firstName", "  ").put("lastName", "Solo").put("realmRoles", new JsonArray().add("offline_access")),
      new JsonObject().put("username", "blank").put("email", "blank@example.com").put("enabled", true).put("firstName", " ")));
    Map<String, JsonObject> lines = lines(file);

    // Keycloak imports a user without "enabled" as disabled, and without "emailVerified" as unverified
    assertLine(lines.get("bare"), "bare", "bare@example.com", "Solo", List.of("user"), false, true, null);
    assertThat(lines.get("blank").containsKey("displayName")).isFalse();
  }

  @Test
  void theNameAnErrorIsReportedUnderIsSafeToPrint() {
    assertThat(new KeycloakUser("bad\u001b[31mname\n", null, null, null, null, null, List.of(), null, List.of()).label())
      .isEqualTo("bad?[31mname?");
    assertThat(new KeycloakUser("u".repeat(70), null, null, null, null, null, List.of(), null, List.of()).label())
      .isEqualTo("u".repeat(64) + "...");
    assertThat(new KeycloakUser(null, null, null, null, null, null, List.of(), null, List.of()).label())
      .isEqualTo("(a user without a username)");
  }

  @Test
  void aGapInTheUsersFilesAUsersFileGivenForTheRealmAndAForeignRealmAreRefused() throws IOException {
    Path realm = write("x-realm.json", realm("x"));
    write("x-users-0.json", realm("x", user("a")));
    write("x-users-2.json", realm("x", user("c")));
    assertThatThrownBy(() -> KeycloakExport.read(realm, u -> { })).isInstanceOf(ExportException.class)
      .hasMessageContaining("x-users-1.json is missing beside x-users-2.json");

    assertThatThrownBy(() -> KeycloakExport.read(dir.resolve("x-users-0.json"), u -> { })).isInstanceOf(ExportException.class)
      .hasMessageContaining("is a users file: give the realm file").hasMessageContaining("x-realm.json");

    Files.delete(dir.resolve("x-users-2.json"));
    write("x-users-1.json", realm("other", user("b")));
    assertThatThrownBy(() -> KeycloakExport.read(realm, u -> { })).isInstanceOf(ExportException.class)
      .hasMessageContaining("x-users-1.json is not a Keycloak realm export: its realm is other, not x");
  }

  @Test
  void filesThatAreNoExportAreRefusedNamingTheFileAndTheReason() throws IOException {
    assertRefused(write("a.json", "[1, 2]"), "is not a Keycloak realm export: it is not a JSON object");
    assertRefused(write("b.json", "{\"realm\": \"r\", \"users\": [ {\"username\": "), "is not a Keycloak realm export: it is not valid JSON");
    assertRefused(write("c.json", "{\"users\": []}"), "is not a Keycloak realm export: it has no \"realm\"");
    assertRefused(write("d.json", "{\"realm\": \"r\", \"users\": {}}"), "its \"users\" is not an array");
    assertRefused(write("e.json", "{\"realm\": \"r\", \"users\": [\"alice\"]}"), "an element of its \"users\" is not an object");
    assertRefused(write("f.json", "{\"realm\": \"r\"} {}"), "there is more after its JSON object");
    assertRefused(dir.resolve("absent.json"), "cannot read " + dir.resolve("absent.json") + ": no such file");
  }

  private static void assertRefused(Path file, String message) {
    assertThatThrownBy(() -> KeycloakExport.read(file, u -> { })).isInstanceOf(ExportException.class).hasMessageContaining(message);
  }

  static void assertLine(JsonObject line, String username, String email, String displayName, List<String> roles,
                         boolean emailVerified, boolean disabled, String hashPrefix) {
    JsonObject expected = new JsonObject().put("username", username).put("email", email);
    if (displayName != null) {
      expected.put("displayName", displayName);
    }
    expected.put("roles", new JsonArray(roles)).put("emailVerified", emailVerified).put("disabled", disabled);
    JsonObject withoutHash = line.copy();
    Object hash = withoutHash.remove("passwordHash");
    assertThat(withoutHash).as(username + "'s line").isEqualTo(expected);
    if (hashPrefix == null) {
      assertThat(hash).as(username + " has no password: no passwordHash").isNull();
    } else {
      assertThat((String) hash).as(username + "'s passwordHash").startsWith(hashPrefix);
    }
  }

  private Path write(String name, Object content) throws IOException {
    return Files.writeString(dir.resolve(name), content instanceof JsonObject json ? json.encodePrettily() : content.toString());
  }

  static JsonObject realm(String name, JsonObject... users) {
    JsonObject realm = new JsonObject().put("id", "id-" + name).put("realm", name).put("roles", new JsonObject().put("realm", new JsonArray()));
    return users.length == 0 ? realm : realm.put("users", new JsonArray(List.of((Object[]) users)));
  }

  static JsonObject user(String username) {
    return new JsonObject().put("username", username).put("email", username + "@example.com").put("enabled", true)
      .put("attributes", new JsonObject().put("note", new JsonArray().add("kept out"))).put("credentials", new JsonArray());
  }

  /** A PBKDF2 credential as Keycloak writes it (16-byte salt; the hash need not match any password here). */
  static JsonObject password(String algorithm, int iterations, Integer priority) {
    int length = algorithm.equals("pbkdf2-sha256") ? 32 : 64;
    String hash = java.util.Base64.getEncoder().encodeToString(new byte[length]);
    JsonObject credential = new JsonObject().put("id", "c-" + iterations).put("type", "password")
      .put("secretData", new JsonObject().put("value", hash).put("salt", "AAAAAAAAAAAAAAAAAAAAAA==")
        .put("additionalParameters", new JsonObject()).encode())
      .put("credentialData", new JsonObject().put("hashIterations", iterations).put("algorithm", algorithm)
        .put("additionalParameters", new JsonObject()).encode());
    return priority == null ? credential : credential.put("priority", priority);
  }
}
