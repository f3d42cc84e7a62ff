package io.latchkey.auth.login;

import io.latchkey.auth.cache.CachedCredentials;
import io.latchkey.auth.testing.AuthFixture;
import io.latchkey.auth.testing.AuthTest;
import io.latchkey.common.bus.Credentials;
import io.latchkey.common.testing.ImportedHashes;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.client.HttpResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.UUID;

import static io.latchkey.common.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Logins against imported hashes (argon2, PBKDF2, bcrypt of another cost) on two clustered auth
 * nodes: the right password gets in and the hash becomes bcrypt at the configured cost (4 here) by
 * compare-and-set at the user service, before the answer, with the same password version; the next
 * login (on the other node) is served by bcrypt without another upgrade. A wrong password upgrades
 * nothing; a password bcrypt cannot take keeps its imported hash; a user service that cannot store
 * the upgrade leaves the login as it was.
 */
@Timeout(120)
@AuthTest(nodes = 2)
class ImportedHashLoginTest {

  private final AuthFixture auth;

  ImportedHashLoginTest(AuthFixture auth) {
    this.auth = auth;
  }

  private Credentials imported(String password, String hash) {
    Credentials user = new Credentials(UUID.randomUUID().toString(), "imp-" + UUID.randomUUID().toString().substring(0, 8),
      UUID.randomUUID() + "@example.com", List.of("user"), hash, 1, Instant.now(), true, false);
    auth.users.put(user);
    return user;
  }

  private CachedCredentials cached(String userId) {
    return await(auth.passwordCache(0).peek(userId));
  }

  private void assertUpgradedOnFirstLogin(String password, String importedHash) {
    Credentials user = imported(password, importedHash);
    int before = auth.users.rehashes();

    HttpResponse<Buffer> first = auth.login(0, user.username(), password);

    assertThat(first.statusCode()).as(first.bodyAsString()).isEqualTo(200);
    Credentials stored = auth.users.get(user.userId());
    assertThat(stored.passwordHash()).as("bcrypt at the configured cost").startsWith("$2a$04$");
    assertThat(stored.passwordVersion()).as("same password, same version").isEqualTo(1);
    assertThat(auth.users.rehashes()).isEqualTo(before + 1);
    assertThat(cached(user.userId()).credentials().passwordHash()).as("the cluster's cache holds the new hash")
      .isEqualTo(stored.passwordHash());
    assertThat(auth.liveSessionIds(user.userId())).hasSize(1);

    HttpResponse<Buffer> second = auth.login(1, user.username(), password);

    assertThat(second.statusCode()).isEqualTo(200);
    assertThat(auth.users.rehashes()).as("the second login is served by bcrypt").isEqualTo(before + 1);
    assertThat(auth.users.get(user.userId()).passwordHash()).isEqualTo(stored.passwordHash());
    assertThat(auth.liveSessionIds(user.userId())).as("no session revoked").hasSize(2);
  }

  @Test
  void argon2IsUpgradedToBcryptAtTheFirstLogin() {
    assertUpgradedOnFirstLogin("argon2 imported pass", ImportedHashes.argon2id("argon2 imported pass"));
  }

  @Test
  void pbkdf2OfEachDigestIsUpgraded() {
    assertUpgradedOnFirstLogin("sha1 imported pass", ImportedHashes.pbkdf2("sha1", "sha1 imported pass", 1000, 64));
    assertUpgradedOnFirstLogin("sha256 imported pass", ImportedHashes.pbkdf2Sha256("sha256 imported pass"));
    assertUpgradedOnFirstLogin("sha512 imported pass", ImportedHashes.pbkdf2("sha512", "sha512 imported pass", 1000, 64));
  }

  @Test
  void bcryptOfAnotherCostIsUpgradedToTheConfiguredOne() {
    String cost5 = new String(at.favre.lib.crypto.bcrypt.BCrypt.withDefaults().hash(5,
      "bcrypt five pass".getBytes(StandardCharsets.UTF_8)), StandardCharsets.UTF_8);
    assertUpgradedOnFirstLogin("bcrypt five pass", cost5);
  }

  @Test
  void aPasswordNfkcChangesIsCheckedAsTypedAndUpgradedToItsNfkcForm() {
    // Keycloak hashed the bytes as typed: the ligature and the full-width letters are not normalized
    String typed = "ﬁsh ＦＵＬＬ width";
    Credentials user = imported(typed, ImportedHashes.argon2id(typed));

    assertThat(auth.login(0, user.username(), "fish FULL width").statusCode())
      .as("the imported hash knows only what was typed").isEqualTo(401);
    assertThat(auth.login(0, user.username(), typed).statusCode()).isEqualTo(200);
    assertThat(auth.users.get(user.userId()).passwordHash()).startsWith("$2a$04$");
    // bcrypt (ours) compares NFKC forms, as for every password set here
    assertThat(auth.login(1, user.username(), typed).statusCode()).isEqualTo(200);
  }

  @Test
  void aWrongPasswordUpgradesNothing() {
    String hash = ImportedHashes.pbkdf2Sha256("the right one");
    Credentials user = imported("the right one", hash);
    int before = auth.users.rehashes();

    assertThat(auth.login(0, user.username(), "the wrong one").statusCode()).isEqualTo(401);

    assertThat(auth.users.get(user.userId()).passwordHash()).isEqualTo(hash);
    assertThat(auth.users.rehashes()).isEqualTo(before);
  }

  @Test
  void aPasswordBcryptCannotTakeKeepsItsImportedHash() {
    // 80 bytes: Keycloak took it; bcrypt reads 72, so a bcrypt hash of it could never be checked
    String longPassword = "a passphrase far longer than bcrypt can read, from a system that took it: 80 byt";
    assertThat(longPassword.getBytes(StandardCharsets.UTF_8)).hasSize(80);
    String hash = ImportedHashes.argon2id(longPassword);
    Credentials user = imported(longPassword, hash);
    int before = auth.users.rehashes();

    assertThat(auth.login(0, user.username(), longPassword).statusCode()).isEqualTo(200);
    assertThat(auth.login(1, user.username(), longPassword).statusCode()).isEqualTo(200);

    assertThat(auth.users.get(user.userId()).passwordHash()).isEqualTo(hash);
    assertThat(auth.users.rehashes()).isEqualTo(before);
  }

  @Test
  void aHashChangedMeanwhileIsNotOverwritten() {
    String password = "raced pass 1";
    Credentials user = imported(password, ImportedHashes.argon2id(password));
    // the login reads the user (and caches it); the password changes at the user service before the upgrade is asked
    auth.users.holdNextAnswer().onSuccess(held -> {
      auth.users.changePassword(user.userId(), "changed pass 2");
      held.release().complete();
    });

    assertThat(auth.login(0, user.username(), password).statusCode()).as("the password was right when read").isEqualTo(200);

    Credentials stored = auth.users.get(user.userId());
    assertThat(stored.passwordVersion()).isEqualTo(2);
    assertThat(at.favre.lib.crypto.bcrypt.BCrypt.verifyer().verify("changed pass 2".getBytes(StandardCharsets.UTF_8),
      stored.passwordHash().getBytes(StandardCharsets.UTF_8)).verified).as("the newer password's hash stays").isTrue();
  }

  @Test
  void aUserServiceThatCannotStoreTheUpgradeLeavesTheLoginAsItWas() {
    String password = "no upgrade today";
    String hash = ImportedHashes.argon2id(password);
    Credentials user = imported(password, hash);
    auth.users.refuseRehashes(true);
    try {
      assertThat(auth.login(0, user.username(), password).statusCode()).isEqualTo(200);
      assertThat(auth.users.get(user.userId()).passwordHash()).isEqualTo(hash);
    } finally {
      auth.users.refuseRehashes(false);
    }
    assertThat(auth.login(1, user.username(), password).statusCode()).isEqualTo(200);
    assertThat(auth.users.get(user.userId()).passwordHash()).as("upgraded by a later login").startsWith("$2a$04$");
  }
}
