package io.latchkey.common.hash;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static io.latchkey.common.hash.UnsupportedHashException.UNSUPPORTED_HASH_FORMAT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The Keycloak 26.7.3 realm export of issue 15, read where it is committed (the user service's
 * test resources, with its README: {@code user-verticle/src/test/resources/keycloak/}) rather
 * than copied, so that a new export made by {@code scripts/keycloak-export.sh} is what this tests.
 * The passwords are the README's table; the hashes are taken from the files, never pinned.
 */
class KeycloakCredentialsTest {

  private static final Path EXPORT = Path.of("..", "user-verticle", "src", "test", "resources", "keycloak");
  private static final Map<String, String> PASSWORDS = Map.of(
    "argon-alice", "alice-Argon2-pass!",
    "umlaut-ute", "Grüße-aus-Köln 42",
    "pbkdf-bob", "bob-Pbkdf2-sha256-pass",
    "pbkdf-carol", "carol-Pbkdf2-sha512-pass",
    "pbkdf-dave", "dave-Pbkdf2-sha1-pass");
  private static final Map<String, String> PREFIXES = Map.of(
    "argon-alice", "$argon2id$v=19$m=7168,t=5,p=1$",
    "umlaut-ute", "$argon2id$v=19$m=7168,t=5,p=1$",
    "pbkdf-bob", "$pbkdf2-sha256$i=600000,l=32$",
    "pbkdf-carol", "$pbkdf2-sha512$i=210000,l=64$",
    "pbkdf-dave", "$pbkdf2-sha1$i=1300000,l=64$");

  /** username → PHC string of its password credential (users without one are left out). */
  private static Map<String, String> converted(JsonArray users) {
    Map<String, String> phc = new TreeMap<>();
    for (JsonObject user : users.stream().map(JsonObject.class::cast).toList()) {
      for (JsonObject credential : user.getJsonArray("credentials", new JsonArray()).stream().map(JsonObject.class::cast).toList()) {
        if ("password".equals(credential.getString("type"))) {
          phc.put(user.getString("username"), KeycloakCredentials.toPhc(credential.getString("credentialData"),
            credential.getString("secretData")));
        }
      }
    }
    return phc;
  }

  private static JsonObject read(String file) throws IOException {
    return new JsonObject(Files.readString(EXPORT.resolve(file)));
  }

  @Test
  void everyPasswordOfTheExportConvertsAndVerifiesAndAWrongOneDoesNot() throws IOException {
    JsonArray users = read("latchkey-import-realm.json").getJsonArray("users");
    assertThat(users).hasSize(6);
    Map<String, String> phc = converted(users);
    assertThat(phc.keySet()).containsExactlyInAnyOrderElementsOf(PASSWORDS.keySet()); // nopass-erin has none

    Map<String, Long> millis = new LinkedHashMap<>();
    for (var entry : phc.entrySet()) {
      String username = entry.getKey();
      assertThat(entry.getValue()).as(username).startsWith(PREFIXES.get(username));
      PasswordHash hash = PasswordHashes.parse(entry.getValue(), HashLimits.defaults());
      assertThat(hash.encoded()).isEqualTo(entry.getValue());
      // the wrong password first: it also warms the code up for the timed right one
      assertThat(hash.verify(PASSWORDS.get(username) + " ")).as(username + ", wrong password").isFalse();
      long start = System.nanoTime();
      assertThat(hash.verify(PASSWORDS.get(username))).as(username).isTrue();
      millis.put(username + " (" + hash.algorithm() + ")", (System.nanoTime() - start) / 1_000_000);
      assertThat(hash.isBcryptWithCost(12)).isFalse();
    }
    // not asserted: how long one verification of each Keycloak default takes on this machine
    millis.forEach((user, ms) -> System.out.printf("Keycloak default verify time: %-36s %5d ms%n", user, ms));
  }

  @Test
  void utesPasswordIsItsUtf8BytesAsSentNotAnotherFormOfIt() throws IOException {
    String phc = converted(read("latchkey-import-realm.json").getJsonArray("users")).get("umlaut-ute");
    PasswordHash hash = PasswordHashes.parse(phc, HashLimits.defaults());
    assertThat(hash.verify("Gr\u00fc\u00dfe-aus-K\u00f6ln 42")).isTrue();
    // the same letters decomposed (NFD), and the Latin-1 bytes read as UTF-8 (mojibake): other passwords
    assertThat(hash.verify("Gru\u0308\u00dfe-aus-Ko\u0308ln 42")).isFalse();
    assertThat(hash.verify("GrÃ¼ÃŸe-aus-KÃ¶ln 42")).isFalse();
    assertThat(hash.verify("Grüsse-aus-Köln 42")).isFalse();
  }

  @Test
  void theUsersInSeparateFilesConvertToTheSameHashes() throws IOException {
    JsonArray users = new JsonArray();
    for (String file : List.of("latchkey-import-users-0.json", "latchkey-import-users-1.json")) {
      users.addAll(read("different_files/" + file).getJsonArray("users"));
    }
    assertThat(read("different_files/latchkey-import-realm.json").containsKey("users")).isFalse();
    assertThat(converted(users)).isEqualTo(converted(read("latchkey-import-realm.json").getJsonArray("users")));
  }

  // --- what is refused -------------------------------------------------------------------------

  private static final String SECRET = "{\"value\":\"egZRL05ULtiXr8pvuPRlF94nQQYzeIaxh5pDpi4srtY=\",\"salt\":\"Trm8H2cjtFEnzlkmMRbQvA==\","
    + "\"additionalParameters\":{}}";
  private static final JsonObject ARGON2 = new JsonObject("{\"hashIterations\":5,\"algorithm\":\"argon2\",\"additionalParameters\":"
    + "{\"hashLength\":[\"32\"],\"memory\":[\"7168\"],\"type\":[\"id\"],\"version\":[\"1.3\"],\"parallelism\":[\"1\"]}}");

  private static void assertRefused(String credentialData, String secretData) {
    assertThatThrownBy(() -> KeycloakCredentials.toPhc(credentialData, secretData))
      .isInstanceOfSatisfying(UnsupportedHashException.class, e -> assertThat(e.code()).isEqualTo(UNSUPPORTED_HASH_FORMAT))
      .hasMessageNotContaining("egZRL05ULtiXr8pvuPRlF94nQQYzeIaxh5pDpi4srtY").hasMessageNotContaining("Trm8H2cjtFEnzlkmMRbQvA");
  }

  private static String argon2With(String key, Object value) {
    JsonObject data = ARGON2.copy();
    data.getJsonObject("additionalParameters").put(key, value);
    return data.encode();
  }

  private static String without(String key) {
    JsonObject data = ARGON2.copy();
    data.remove(key);
    return data.encode();
  }

  private static String secretWith(String key, Object value) {
    return new JsonObject(SECRET).put(key, value).encode();
  }

  @Test
  void theReadmesArgon2ExampleConvertsToItsPhcString() {
    assertThat(KeycloakCredentials.toPhc(ARGON2.encode(), SECRET))
      .isEqualTo("$argon2id$v=19$m=7168,t=5,p=1$Trm8H2cjtFEnzlkmMRbQvA$egZRL05ULtiXr8pvuPRlF94nQQYzeIaxh5pDpi4srtY");
    assertThat(KeycloakCredentials.toPhc(argon2With("type", new JsonArray().add("i")), SECRET)).startsWith("$argon2i$v=19$");
    assertThat(KeycloakCredentials.toPhc(argon2With("version", new JsonArray().add("1.0")), SECRET)).startsWith("$argon2id$v=16$");
  }

  @Test
  void anAlgorithmWeDoNotTakeIsNamedInTheRefusal() {
    String bcrypt = ARGON2.copy().put("algorithm", "bcrypt").encode();
    assertRefused(bcrypt, SECRET);
    assertThatThrownBy(() -> KeycloakCredentials.toPhc(bcrypt, SECRET)).hasMessageContaining("'bcrypt'");
    String odd = ARGON2.copy().put("algorithm", "<script>" + "x".repeat(100)).encode();
    assertThatThrownBy(() -> KeycloakCredentials.toPhc(odd, SECRET)).hasMessageNotContaining("script");
  }

  @Test
  void malformedCredentialsAreRefused() {
    for (String credentialData : List.of(
      "", "null", "[]", "{", "not json", "x".repeat(5000),
      without("algorithm"), without("hashIterations"), without("additionalParameters"),
      ARGON2.copy().put("algorithm", 7).encode(),
      ARGON2.copy().put("hashIterations", "5").encode(),
      ARGON2.copy().put("hashIterations", 0).encode(),
      ARGON2.copy().put("hashIterations", -5).encode(),
      ARGON2.copy().put("hashIterations", 5.5).encode(),
      ARGON2.copy().put("hashIterations", 1L << 40).encode(),
      ARGON2.copy().put("additionalParameters", new JsonArray()).encode(),
      argon2With("type", new JsonArray().add("x")),
      argon2With("type", "id"),
      argon2With("type", new JsonArray().add("id").add("i")),
      argon2With("type", new JsonArray()),
      argon2With("version", new JsonArray().add("1.2")),
      argon2With("memory", new JsonArray().add("-7168")),
      argon2With("memory", new JsonArray().add("7168 ")),
      argon2With("memory", new JsonArray().add(7168)),
      argon2With("memory", new JsonArray().add("99999999999")),
      argon2With("hashLength", new JsonArray().add("64")),
      argon2With("parallelism", null))) {
      assertRefused(credentialData, SECRET);
    }
    for (String secretData : List.of(
      "", "{}", "[1]",
      secretWith("value", "egZRL05ULtiXr8pvuPRlF94nQQYzeIaxh5pDpi4srtY"),   // Keycloak pads; unpadded is not its form
      secretWith("value", "egZRL05ULtiXr8pvuPRlF94nQQYzeIaxh5pDpi4srtY=="),
      secretWith("value", "egZRL05ULtiXr8pvuPRlF94nQQYzeIaxh5pDpi4srtY=\n"),
      secretWith("value", "egZRL05ULtiXr8pvuPRlF94n-QYzeIaxh5pDpi4srtY="),
      secretWith("value", ""),
      secretWith("value", 42),
      secretWith("salt", null))) {
      assertRefused(ARGON2.encode(), secretData);
    }
    assertRefused(null, SECRET);
    assertRefused(ARGON2.encode(), null);
  }

  @Test
  void costsAreJudgedByParseNotByTheConversion() {
    String huge = argon2With("memory", new JsonArray().add("4194304"));
    String phc = KeycloakCredentials.toPhc(huge, SECRET);
    assertThat(phc).startsWith("$argon2id$v=19$m=4194304,t=5,p=1$");
    assertThatThrownBy(() -> PasswordHashes.parse(phc, HashLimits.defaults()))
      .isInstanceOfSatisfying(UnsupportedHashException.class, e -> assertThat(e.code()).isEqualTo(UnsupportedHashException.HASH_COST_OUT_OF_RANGE));
  }
}
