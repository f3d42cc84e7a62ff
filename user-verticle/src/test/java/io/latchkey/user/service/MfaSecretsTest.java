package io.latchkey.user.service;

import io.latchkey.common.Profile;
import io.latchkey.common.Settings;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Secrets sealed at rest, bound to their user, through key rotation; recovery codes and their hashes; MFA_SECRET_KEY's rules. */
class MfaSecretsTest {

  private static byte[] key() {
    byte[] key = new byte[32];
    new SecureRandom().nextBytes(key);
    return key;
  }

  private static String b64(byte[] key) {
    return Base64.getEncoder().encodeToString(key);
  }

  @Test
  void aSealedSecretHoldsNoPlainSecretAndOpensOnlyForItsUser() {
    MfaSecrets secrets = new MfaSecrets(List.of(key()));
    UUID alice = UUID.randomUUID();
    byte[] secret = Totp.newSecret();
    byte[] sealed = secrets.seal(alice, secret);
    String stored = new String(sealed, StandardCharsets.ISO_8859_1);
    assertThat(stored).doesNotContain(new String(secret, StandardCharsets.ISO_8859_1))
      .doesNotContain(Totp.base32(secret));
    assertThat(secrets.open(alice, sealed)).hasValueSatisfying(opened -> assertThat(opened).isEqualTo(secret));
    assertThat(secrets.open(UUID.randomUUID(), sealed)).as("moved to another user's row").isEmpty();
    sealed[sealed.length - 1] ^= 1;
    assertThat(secrets.open(alice, sealed)).as("damaged").isEmpty();
  }

  @Test
  void aKeyListWithARotatedKeyStillOpensAndChecksWhatTheOldKeyWrote() {
    byte[] old = key();
    byte[] next = key();
    UUID user = UUID.randomUUID();
    MfaSecrets before = new MfaSecrets(List.of(old));
    byte[] secret = Totp.newSecret();
    byte[] sealed = before.seal(user, secret);
    byte[] hash = before.recoveryHash(user, "ABCDE12345");

    MfaSecrets rotated = new MfaSecrets(List.of(next, old));
    assertThat(rotated.open(user, sealed)).hasValueSatisfying(opened -> assertThat(opened).isEqualTo(secret));
    assertThat(rotated.recoveryHashes(user, "ABCDE12345")).anySatisfy(h -> assertThat(h).isEqualTo(hash));
    assertThat(rotated.recoveryHash(user, "ABCDE12345")).as("new codes are hashed under the new key").isNotEqualTo(hash);
    assertThat(new MfaSecrets(List.of(next)).open(user, sealed)).as("the old key gone").isEmpty();
    assertThat(before.recoveryHash(UUID.randomUUID(), "ABCDE12345")).as("a hash is bound to its user").isNotEqualTo(hash);
  }

  @Test
  void tenDistinctRecoveryCodesOfFiftyBitsAcceptedInAnyForm() {
    List<String> codes = RecoveryCodes.generate();
    assertThat(codes).hasSize(10).doesNotHaveDuplicates();
    // 10 symbols of a 32-symbol alphabet: 50 bits by construction
    assertThat(RecoveryCodes.ALPHABET).hasSize(32).doesNotContain("I", "L", "O", "U");
    assertThat(RecoveryCodes.LENGTH * (Integer.numberOfTrailingZeros(RecoveryCodes.ALPHABET.length()))).isGreaterThanOrEqualTo(50);
    Set<Character> seen = new HashSet<>();
    for (String code : codes) {
      assertThat(code).matches("[0-9a-z]{5}-[0-9a-z]{5}");
      code.chars().forEach(c -> seen.add((char) c));
      String canonical = RecoveryCodes.normalize(code);
      assertThat(canonical).hasSize(10);
      assertThat(RecoveryCodes.normalize(code.toUpperCase())).isEqualTo(canonical);
      assertThat(RecoveryCodes.normalize(code.replace("-", ""))).isEqualTo(canonical);
      assertThat(RecoveryCodes.normalize(" " + code.replace("-", " ") + " ")).isEqualTo(canonical);
    }
    assertThat(RecoveryCodes.normalize("oooooiiiii")).isEqualTo("0000011111");
    for (String bad : new String[] {null, "", "abcde-fghi", "abcde-fghijk", "abcde_fghij", "abcdu-fghij", "abcde-fghıj"}) {
      assertThat(RecoveryCodes.normalize(bad)).as(String.valueOf(bad)).isNull();
    }
  }

  @Test
  void theKeyComesFromTheEnvironmentIsRequiredInProductionAndNeverPrinted() {
    byte[] first = key();
    byte[] second = key();
    MfaSettings two = MfaSettings.from(new Settings(null, Map.of("MFA_SECRET_KEY", b64(first) + ", " + b64(second))), Profile.PRODUCTION);
    assertThat(two.keys()).hasSize(2);
    assertThat(two.keys().get(0)).isEqualTo(first);
    assertThat(two.keyIsDevelopment()).isFalse();
    assertThat(two.issuer()).isEqualTo("Latchkey");
    assertThat(two.toString()).doesNotContain(b64(first)).doesNotContain(b64(second));

    assertThatThrownBy(() -> MfaSettings.from(new Settings(null, Map.of()), Profile.PRODUCTION))
      .isInstanceOf(IllegalStateException.class).hasMessageContaining("MFA_SECRET_KEY");
    MfaSettings development = MfaSettings.from(new Settings(null, Map.of()), Profile.DEVELOPMENT);
    assertThat(development.keyIsDevelopment()).isTrue();
    assertThat(development.keys().get(0)).hasSize(32)
      .isEqualTo(MfaSettings.from(new Settings(null, Map.of()), Profile.DEVELOPMENT).keys().get(0));

    String shortKey = b64(new byte[16]);
    assertThatThrownBy(() -> MfaSettings.from(new Settings(null, Map.of("MFA_SECRET_KEY", shortKey)), Profile.DEVELOPMENT))
      .hasMessageContaining("MFA_SECRET_KEY").hasMessageNotContaining(shortKey);
    assertThatThrownBy(() -> MfaSettings.from(new Settings(null, Map.of("MFA_SECRET_KEY", "not base64!")), Profile.DEVELOPMENT))
      .hasMessageContaining("MFA_SECRET_KEY");
    // from conf/user.json a key is never read: a secret belongs in the environment
    assertThat(MfaSettings.from(new Settings(new io.vertx.core.json.JsonObject().put("mfaSecretKey", b64(first)), Map.of()),
      Profile.DEVELOPMENT).keyIsDevelopment()).isTrue();
    assertThatThrownBy(() -> MfaSettings.from(new Settings(null, Map.of("MFA_ISSUER", "a:b")), Profile.DEVELOPMENT))
      .hasMessageContaining("MFA_ISSUER");
    assertThat(MfaSettings.from(new Settings(null, Map.of("MFA_ISSUER", "Acme Corp")), Profile.DEVELOPMENT).issuer()).isEqualTo("Acme Corp");
  }
}
