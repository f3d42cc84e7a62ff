package io.latchkey.common.hash;

import at.favre.lib.crypto.bcrypt.BCrypt;
import io.latchkey.common.TextRules;
import org.bouncycastle.crypto.params.Argon2Parameters;
import org.junit.jupiter.api.Test;

import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import static io.latchkey.common.hash.UnsupportedHashException.HASH_COST_OUT_OF_RANGE;
import static io.latchkey.common.hash.UnsupportedHashException.UNSUPPORTED_HASH_FORMAT;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeout;

/** Known answers, the password forms, the limits and hostile strings of {@link PasswordHashes}. */
class PasswordHashesTest {

  private static final HashLimits DEFAULTS = HashLimits.defaults();
  /** Limits low enough for the RFCs' vectors (1 iteration, a 4-byte salt, 32 KiB of argon2 memory). */
  private static final HashLimits ANYTHING = new HashLimits(4, 31, 8, 1 << 20, 1, 100, 64, 1, 1 << 24, 1 << 24, 1 << 24, 1, 256, 4, 256);
  private static final HexFormat HEX = HexFormat.of();
  private static final Base64.Encoder PHC = Base64.getEncoder().withoutPadding();

  private static PasswordHash parse(String encoded) {
    return PasswordHashes.parse(encoded, DEFAULTS);
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private static byte[] bytes(int n, int value) {
    byte[] b = new byte[n];
    java.util.Arrays.fill(b, (byte) value);
    return b;
  }

  // --- known answers ---------------------------------------------------------------------------

  @Test
  void bcryptVectorsOfJBCryptAndHashesMadeByAtFavre() {
    // jBCrypt's (OpenBSD's) test vectors
    assertThat(parse("$2a$06$If6bvum7DFjUnE9p2uDeDu0YHzrHM6tf.iqN8.yx.jNN1ILEf7h0i").verify("abc")).isTrue();
    assertThat(parse("$2a$06$m0CrhHm10qJ3lXRY.5zDGO3rS2KdeeWLuGmsfGlMfOxih58VYVfxe").verify("a")).isTrue();
    assertThat(parse("$2a$06$m0CrhHm10qJ3lXRY.5zDGO3rS2KdeeWLuGmsfGlMfOxih58VYVfxe").verify("b")).isFalse();
    // made once by at.favre's bcrypt 0.10.2 (BCrypt.withDefaults().hash(6, ...)), then pinned
    PasswordHash made = parse("$2a$06$fByUJTVD/zEK.xeiIsuzJusheqdyV/v0yduno1VVTOvbSw7rHNyUm");
    assertThat(made.verify("correct horse battery staple")).isTrue();
    assertThat(made.verify("correct horse battery stapler")).isFalse();
    assertThat(made.algorithm()).isEqualTo("bcrypt");
    assertThat(made.isBcryptWithCost(6)).isTrue();
    assertThat(made.isBcryptWithCost(12)).isFalse();
    // $2y$ (PHP's), made by at.favre with Version.VERSION_2Y, of a non-ASCII password
    assertThat(parse("$2y$05$B8vcomSMmzxJW4J/Y.raWOdKNxjufPiEKAgverZGGGdGjlSfCik.u").verify("Grüße-aus-Köln 42")).isTrue();
    // the same hash bytes under $2b$ (2a, 2b and 2y compute the same for these passwords)
    assertThat(parse("$2b$06$fByUJTVD/zEK.xeiIsuzJusheqdyV/v0yduno1VVTOvbSw7rHNyUm").verify("correct horse battery staple")).isTrue();
  }

  @Test
  void argon2VectorsOfRfc9106WithSecretAndAssociatedData() {
    // RFC 9106 section 5: m=32 KiB, t=3, p=4, password 32 x 0x01, salt 16 x 0x02, secret 8 x 0x03, ad 12 x 0x04
    String[] expected = {
      "512b391b6f1162975371d30919734294f868e3be3984f3c1a13a4db9fabe4acb", // 5.1 Argon2d
      "c814d9d1dc7f37aa13f0d77f2494bda1c8de6b016dd388d29952a4c4672b6ce8", // 5.2 Argon2i
      "0d640df58d78766c08c037a34a8b53c9d01ef0452d75b65eb52520e96b01e659", // 5.3 Argon2id
    };
    int[] types = {Argon2Parameters.ARGON2_d, Argon2Parameters.ARGON2_i, Argon2Parameters.ARGON2_id};
    for (int i = 0; i < types.length; i++) {
      byte[] tag = Argon2Hash.derive(types[i], Argon2Parameters.ARGON2_VERSION_13, 32, 3, 4, bytes(16, 2), bytes(8, 3),
        bytes(12, 4), bytes(32, 1), 32);
      assertThat(HEX.formatHex(tag)).as(Argon2Hash.NAMES[types[i]]).isEqualTo(expected[i]);
    }
  }

  @Test
  void argon2PhcStringsOfTheReferenceImplementation() {
    // from phc-winner-argon2's tests: password "password", salt "somesalt"
    PasswordHash id = parse("$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc");
    assertThat(id.algorithm()).isEqualTo("argon2id");
    assertThat(id.verify("password")).isTrue();
    assertThat(id.verify("passwore")).isFalse();
    PasswordHash i19 = parse("$argon2i$v=19$m=65536,t=1,p=1$c29tZXNhbHQ$0WgHXE2YXhPr6uVgz4uUw7XYoWxRkWtvSsLaOsEbvs8");
    assertThat(i19.algorithm()).isEqualTo("argon2i");
    assertThat(i19.verify("password")).isTrue();
    // version 1.0 (0x10): the reference writes no v=; v=16 says the same
    assertThat(parse("$argon2i$m=65536,t=2,p=1$c29tZXNhbHQ$9sTbSlTio3Biev89thdrlKKiCaYsjjYVJxGAL3swxpQ").verify("password")).isTrue();
    assertThat(parse("$argon2i$v=16$m=65536,t=2,p=1$c29tZXNhbHQ$9sTbSlTio3Biev89thdrlKKiCaYsjjYVJxGAL3swxpQ").verify("password")).isTrue();
    assertThat(parse("$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$9sTbSlTio3Biev89thdrlKKiCaYsjjYVJxGAL3swxpQ").verify("password")).isFalse();
    // argon2d, and p=2, below the import's limits (8 and 256 KiB)
    PasswordHash d = PasswordHashes.parse("$argon2d$v=16$m=8,t=1,p=1$ICAgICAgICA$X54KZYxUSfMUihzebb70sKbheabHilo8gsUldrVU4IU", ANYTHING);
    assertThat(d.algorithm()).isEqualTo("argon2d");
    assertThat(d.verify("")).isTrue();
    assertThat(PasswordHashes.parse("$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc", ANYTHING)
      .verify("password")).isTrue();
  }

  @Test
  void pbkdf2VectorsOfRfc6070AndRfc7914() {
    // RFC 6070 (HMAC-SHA1): c=4096, 25 bytes, a 36-byte salt: within the import's limits
    PasswordHash sha1 = parse("$pbkdf2-sha1$i=4096,l=25$" + PHC.encodeToString(ascii("saltSALTsaltSALTsaltSALTsaltSALTsalt"))
      + "$" + PHC.encodeToString(HEX.parseHex("3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038")));
    assertThat(sha1.algorithm()).isEqualTo("pbkdf2-sha1");
    assertThat(sha1.verify("passwordPASSWORDpassword")).isTrue();
    assertThat(sha1.verify("passwordPASSWORDpassworD")).isFalse();
    assertThat(HEX.formatHex(Pbkdf2Hash.derive(Pbkdf2Hash.Prf.SHA1, ascii("passwordPASSWORDpassword"),
      ascii("saltSALTsaltSALTsaltSALTsaltSALTsalt"), 4096, 25))).isEqualTo("3d2eec4fe41c849b80c8d83662c0e44a8b291a964cf2f07038");
    assertThat(HEX.formatHex(Pbkdf2Hash.derive(Pbkdf2Hash.Prf.SHA1, ascii("password"), ascii("salt"), 4096, 20)))
      .isEqualTo("4b007901b765489abead49d926f721d065a429c1");
    // RFC 7914 section 11 (HMAC-SHA256, 64 bytes): 1 iteration and a 4-byte salt, so only under permissive limits
    String first = "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
      + "49ca9cccf179b645991664b39d77ef317c71b845b1e30bd509112041d3a19783";
    String second = "4ddcd8f60b98be21830cee5ef22701f9641a4418d04c0414aeff08876b34ab56"
      + "a1d425a1225833549adb841b51c9b3176a272bdebba1d078478f62b397f33c8d";
    assertThat(PasswordHashes.parse("$pbkdf2-sha256$i=1,l=64$" + PHC.encodeToString(ascii("salt")) + "$"
      + PHC.encodeToString(HEX.parseHex(first)), ANYTHING).verify("passwd")).isTrue();
    PasswordHash nacl = PasswordHashes.parse("$pbkdf2-sha256$i=80000,l=64$" + PHC.encodeToString(ascii("NaCl")) + "$"
      + PHC.encodeToString(HEX.parseHex(second)), ANYTHING);
    assertThat(nacl.verify("Password")).isTrue();
    assertThat(nacl.verify("password")).isFalse();
    assertThat(HEX.formatHex(Pbkdf2Hash.derive(Pbkdf2Hash.Prf.SHA256, ascii("Password"), ascii("NaCl"), 80000, 64))).isEqualTo(second);
  }

  @Test
  void pbkdf2AgreesWithTheJdkForEachDigest() throws Exception {
    Random random = new Random(15);
    String[] jdk = {"PBKDF2WithHmacSHA1", "PBKDF2WithHmacSHA256", "PBKDF2WithHmacSHA512"};
    for (int k = 0; k < jdk.length; k++) {
      Pbkdf2Hash.Prf prf = Pbkdf2Hash.Prf.values()[k];
      for (int n = 0; n < 5; n++) {
        byte[] salt = new byte[8 + random.nextInt(57)];
        random.nextBytes(salt);
        String password = "pw-" + random.nextInt() + "-é€𝄞";
        int length = 16 + random.nextInt(49);
        int iterations = 1000 + random.nextInt(2000);
        byte[] expected = SecretKeyFactory.getInstance(jdk[k])
          .generateSecret(new PBEKeySpec(password.toCharArray(), salt, iterations, length * 8)).getEncoded();
        assertThat(Pbkdf2Hash.derive(prf, password.getBytes(StandardCharsets.UTF_8), salt, iterations, length)).isEqualTo(expected);
        PasswordHash hash = parse("$" + prf.id + "$i=" + iterations + ",l=" + length + "$" + PHC.encodeToString(salt) + "$"
          + PHC.encodeToString(expected));
        assertThat(hash.verify(password)).as(prf.id).isTrue();
        assertThat(hash.verify(password + "x")).as(prf.id).isFalse();
      }
    }
  }

  @Test
  void withoutLTheHashIsTheDigestLength() {
    byte[] salt = bytes(16, 7);
    for (Pbkdf2Hash.Prf prf : Pbkdf2Hash.Prf.values()) {
      byte[] hash = Pbkdf2Hash.derive(prf, ascii("secret-pass"), salt, 1000, prf.digestBytes);
      String encoded = "$" + prf.id + "$i=1000$" + PHC.encodeToString(salt) + "$" + PHC.encodeToString(hash);
      assertThat(parse(encoded).verify("secret-pass")).isTrue();
      assertThat(parse(encoded).encoded()).isEqualTo(encoded);
      String longer = "$" + prf.id + "$i=1000$" + PHC.encodeToString(salt) + "$" + PHC.encodeToString(bytes(prf.digestBytes + 1, 1));
      assertFormat(longer);
    }
  }

  // --- which form of the password --------------------------------------------------------------

  @Test
  void bcryptChecksTheNfkcFormAndNeverAPasswordOver72Bytes() {
    // the user service hashes the NFKC form: a ligature and full-width letters as typed still match
    String typed = "ﬁsh-ＰＡＳＳ-word";
    String normalized = Normalizer.normalize(typed, Normalizer.Form.NFKC);
    assertThat(normalized).isEqualTo("fish-PASS-word");
    PasswordHash ours = parse(new String(BCrypt.withDefaults().hash(4, ascii(normalized)), StandardCharsets.US_ASCII));
    assertThat(ours.verify(typed)).isTrue();
    assertThat(ours.verify(normalized)).isTrue();
    // 72 bytes match; a 73rd byte makes a password that can never have been set (bcrypt would ignore it)
    String max = "x".repeat(72);
    PasswordHash full = parse(new String(BCrypt.withDefaults().hash(4, ascii(max)), StandardCharsets.US_ASCII));
    assertThat(full.verify(max)).isTrue();
    assertThat(full.verify(max + "y")).isFalse();
    assertThat(PasswordHashes.bcryptInput(max + "y")).isEmpty();
    assertThat(PasswordHashes.bcryptInput("ä".repeat(37))).isEmpty();  // 74 bytes
    assertThat(PasswordHashes.bcryptInput(typed)).contains(normalized);
  }

  @Test
  void bcryptInputRefusesWhatTextRulesRefuses() {
    // the hash package sits below io.latchkey.common and has its own copy of the rule: the two agree
    for (int c = 0; c <= 0xFFFF; c++) {
      String password = "ab" + (char) c + "cd";
      String normalized = Normalizer.normalize(password, Normalizer.Form.NFKC);
      boolean expected = TextRules.isClean(normalized) && normalized.getBytes(StandardCharsets.UTF_8).length <= 72;
      assertThat(PasswordHashes.bcryptInput(password).isPresent()).as("U+%04X", c).isEqualTo(expected);
    }
    assertThat(PasswordHashes.bcryptInput("ab\uD834\uDD1Ecd")).isPresent(); // a surrogate pair is clean
    assertThat(PasswordHashes.bcryptInput("ab\uDD1E\uD834cd")).isEmpty();
  }

  @Test
  void importedHashesCheckTheUtf8BytesAsGiven() {
    byte[] salt = bytes(16, 9);
    String typed = "ﬁsh-Passwort-" + "ü".repeat(40); // a ligature, and 95 UTF-8 bytes: over bcrypt's 72
    byte[] utf8 = typed.getBytes(StandardCharsets.UTF_8);
    PasswordHash argon2 = parse("$argon2id$v=19$m=1024,t=1,p=1$" + PHC.encodeToString(salt) + "$" + PHC.encodeToString(
      Argon2Hash.derive(Argon2Parameters.ARGON2_id, 0x13, 1024, 1, 1, salt, null, null, utf8, 32)));
    PasswordHash pbkdf2 = parse("$pbkdf2-sha256$i=1000,l=32$" + PHC.encodeToString(salt) + "$" + PHC.encodeToString(
      Pbkdf2Hash.derive(Pbkdf2Hash.Prf.SHA256, utf8, salt, 1000, 32)));
    for (PasswordHash hash : List.of(argon2, pbkdf2)) {
      assertThat(hash.verify(typed)).as(hash.algorithm()).isTrue();
      // no normalization: the NFKC form and the NFD form are other passwords
      assertThat(hash.verify(Normalizer.normalize(typed, Normalizer.Form.NFKC))).as(hash.algorithm()).isFalse();
      assertThat(hash.verify(Normalizer.normalize(typed, Normalizer.Form.NFD))).as(hash.algorithm()).isFalse();
    }
    // a lone surrogate never matches, not even the hash of the '?' a lenient encoder makes of it
    byte[] question = "pass?word".getBytes(StandardCharsets.UTF_8);
    PasswordHash ofQuestion = parse("$pbkdf2-sha256$i=1000$" + PHC.encodeToString(salt) + "$"
      + PHC.encodeToString(Pbkdf2Hash.derive(Pbkdf2Hash.Prf.SHA256, question, salt, 1000, 32)));
    assertThat(ofQuestion.verify("pass?word")).isTrue();
    assertThat(ofQuestion.verify("pass\uD800word")).isFalse();
  }

  @Test
  void pbkdf2ComparesTheFirstBlockOfALongKey() {
    // Keycloak's SHA-1 shape: 64 bytes, four blocks; the first 20 bytes decide
    byte[] salt = bytes(16, 3);
    byte[] key = Pbkdf2Hash.derive(Pbkdf2Hash.Prf.SHA1, ascii("dave-pass"), salt, 1000, 64);
    String encoded = "$pbkdf2-sha1$i=1000,l=64$" + PHC.encodeToString(salt) + "$" + PHC.encodeToString(key);
    assertThat(parse(encoded).verify("dave-pass")).isTrue();
    assertThat(parse(encoded).verify("dave-pasS")).isFalse();
    byte[] wrongFirstBlock = key.clone();
    wrongFirstBlock[19] ^= 1;
    assertThat(parse("$pbkdf2-sha1$i=1000,l=64$" + PHC.encodeToString(salt) + "$" + PHC.encodeToString(wrongFirstBlock))
      .verify("dave-pass")).isFalse();
  }

  @Test
  void encodedIsTheStringParsedAndToStringShowsNoHash() {
    String[] hashes = {
      "$2a$06$fByUJTVD/zEK.xeiIsuzJusheqdyV/v0yduno1VVTOvbSw7rHNyUm",
      "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc",
      "$pbkdf2-sha512$i=210000,l=64$dXllyOK/YTXfaz+Zc8XXdw$MYEST0qLJXsZqzu6SE5r8MS5lrxdXncwxkRfZGKaj4ieBsxTTxIAFfF9t+jcLFC78MacUFti4qzWS5yZO9g9MA",
    };
    for (String encoded : hashes) {
      PasswordHash hash = parse(encoded);
      assertThat(hash.encoded()).isEqualTo(encoded);
      assertThat(PasswordHashes.parse(hash.encoded(), DEFAULTS).algorithm()).isEqualTo(hash.algorithm());
      assertThat(hash.toString()).contains(hash.algorithm()).doesNotContain(encoded.substring(encoded.lastIndexOf('$') + 1))
        .doesNotContain("YQ").doesNotContain("c29tZXNhbHQ");
    }
    assertThat(parse(hashes[1]).isBcryptWithCost(12)).isFalse();
  }

  // --- limits ----------------------------------------------------------------------------------

  private static String b64(int n) {
    return PHC.encodeToString(bytes(n, 0x5A));
  }

  private static String argon2(String params, int salt, int hash) {
    return "$argon2id$v=19$" + params + "$" + b64(salt) + "$" + b64(hash);
  }

  private static String pbkdf2(String id, String params, int salt, int hash) {
    return "$" + id + "$" + params + "$" + b64(salt) + "$" + b64(hash);
  }

  private static String bcrypt(String cost) {
    return "$2a$" + cost + "$fByUJTVD/zEK.xeiIsuzJusheqdyV/v0yduno1VVTOvbSw7rHNyUm";
  }

  private static void assertTaken(String encoded) {
    assertThat(parse(encoded).encoded()).isEqualTo(encoded);
  }

  private static void assertOutOfRange(String encoded) {
    assertThatThrownBy(() -> parse(encoded)).as(encoded).isInstanceOfSatisfying(UnsupportedHashException.class,
      e -> assertThat(e.code()).isEqualTo(HASH_COST_OUT_OF_RANGE));
  }

  private static void assertFormat(String encoded) {
    assertFormat(encoded, DEFAULTS);
  }

  private static void assertFormat(String encoded, HashLimits limits) {
    assertTimeout(Duration.ofSeconds(1), () ->
      assertThatThrownBy(() -> PasswordHashes.parse(encoded, limits))
        .as(encoded == null || encoded.length() > 200 ? "a long string" : encoded)
        .isInstanceOfSatisfying(UnsupportedHashException.class, e -> assertThat(e.code()).isEqualTo(UNSUPPORTED_HASH_FORMAT)));
  }

  @Test
  void keycloakDefaultsAreTaken() {
    assertTaken(argon2("m=7168,t=5,p=1", 16, 32));
    assertTaken(pbkdf2("pbkdf2-sha1", "i=1300000,l=64", 16, 64));
    assertTaken(pbkdf2("pbkdf2-sha256", "i=600000,l=32", 16, 32));
    assertTaken(pbkdf2("pbkdf2-sha512", "i=210000,l=64", 16, 64));
  }

  @Test
  void everyLimitJustInsideIsTakenAndJustOutsideRefused() {
    assertTaken(bcrypt("04"));
    assertTaken(bcrypt("16"));
    assertOutOfRange(bcrypt("03"));
    assertOutOfRange(bcrypt("17"));
    assertOutOfRange(bcrypt("99"));

    assertTaken(argon2("m=1024,t=1,p=1", 8, 16));
    assertTaken(argon2("m=65536,t=10,p=4", 64, 64));
    assertOutOfRange(argon2("m=1023,t=1,p=1", 16, 32));
    assertOutOfRange(argon2("m=65537,t=1,p=1", 16, 32));
    assertOutOfRange(argon2("m=4194304,t=1,p=1", 16, 32)); // 4 GiB
    assertOutOfRange(argon2("m=7168,t=0,p=1", 16, 32));
    assertOutOfRange(argon2("m=7168,t=11,p=1", 16, 32));
    assertOutOfRange(argon2("m=7168,t=5,p=0", 16, 32));
    assertOutOfRange(argon2("m=7168,t=5,p=5", 16, 32));
    assertOutOfRange(argon2("m=7168,t=5,p=1", 7, 32));
    assertOutOfRange(argon2("m=7168,t=5,p=1", 65, 32));
    assertOutOfRange(argon2("m=7168,t=5,p=1", 16, 15));
    assertOutOfRange(argon2("m=7168,t=5,p=1", 16, 65));

    for (String[] idAndMax : new String[][] {{"pbkdf2-sha1", "1300000"}, {"pbkdf2-sha256", "1200000"}, {"pbkdf2-sha512", "420000"}}) {
      String id = idAndMax[0];
      int max = Integer.parseInt(idAndMax[1]);
      assertTaken(pbkdf2(id, "i=1000,l=16", 8, 16));
      assertTaken(pbkdf2(id, "i=" + max + ",l=64", 64, 64));
      assertOutOfRange(pbkdf2(id, "i=999,l=32", 16, 32));
      assertOutOfRange(pbkdf2(id, "i=" + (max + 1) + ",l=32", 16, 32));
      assertOutOfRange(pbkdf2(id, "i=2147483647,l=32", 16, 32));
      assertOutOfRange(pbkdf2(id, "i=10000,l=15", 16, 15));
      assertOutOfRange(pbkdf2(id, "i=10000,l=65", 16, 65));
      assertOutOfRange(pbkdf2(id, "i=10000,l=32", 7, 32));
      assertOutOfRange(pbkdf2(id, "i=10000,l=32", 65, 32));
    }
    // the login path's limits: our own hashes at a configured cost above the import's 16
    assertThat(PasswordHashes.parse(bcrypt("18"), DEFAULTS.withBcryptCost(4, 31)).isBcryptWithCost(18)).isTrue();
  }

  @Test
  void anOutOfRangeMessageNamesTheParameterNotTheHash() {
    String encoded = argon2("m=4194304,t=1,p=1", 16, 32);
    assertThatThrownBy(() -> parse(encoded)).hasMessageContaining("memory").hasMessageContaining("4194304")
      .hasMessageNotContaining(b64(16)).hasMessageNotContaining(b64(32));
  }

  // --- hostile strings -------------------------------------------------------------------------

  @Test
  void malformedStringsAreRefusedAsUnsupportedFormat() {
    String salt = b64(16);
    String hash = b64(32);
    List<String> bad = new ArrayList<>(List.of(
      "", "$", "$$", "$$$$", "password", "argon2id$v=19$m=7168,t=5,p=1$" + salt + "$" + hash,
      "$argon2id", "$argon2id$v=19$m=7168,t=5,p=1$" + salt, "$argon2id$v=19$m=7168,t=5,p=1$" + salt + "$",
      "$argon2id$v=19$m=7168,t=5,p=1$" + salt + "$" + hash + "$",
      "$argon2id$v=19m=7168,t=5,p=1$" + salt + "$" + hash,
      "$argon2x$v=19$m=7168,t=5,p=1$" + salt + "$" + hash,
      "$argon2ds$v=16$m=7168,t=5,p=1$" + salt + "$" + hash,
      "$ARGON2ID$v=19$m=7168,t=5,p=1$" + salt + "$" + hash,
      "$argon2id$v=18$m=7168,t=5,p=1$" + salt + "$" + hash,
      "$argon2id$v=019$m=7168,t=5,p=1$" + salt + "$" + hash,
      "$argon2id$v=$m=7168,t=5,p=1$" + salt + "$" + hash,
      "$argon2id$v=19$m=7168,m=7168,t=5,p=1$" + salt + "$" + hash,
      "$argon2id$v=19$m=7168,t=5,t=5,p=1$" + salt + "$" + hash,
      "$argon2id$v=19$m=7168,t=5,p=1,p=1$" + salt + "$" + hash,
      "$argon2id$v=19$m=7168,t=5$" + salt + "$" + hash,
      "$argon2id$v=19$t=5,m=7168,p=1$" + salt + "$" + hash,
      "$argon2id$v=19$m=7168,t=5,p=1,keyid=abc$" + salt + "$" + hash,
      "$argon2id$v=19$m=7168,t=5,p=1,$" + salt + "$" + hash,
      "$argon2id$v=19$m=7168,,t=5,p=1$" + salt + "$" + hash,
      "$argon2id$v=19$m=-7168,t=5,p=1$" + salt + "$" + hash,
      "$argon2id$v=19$m=+7168,t=5,p=1$" + salt + "$" + hash,
      "$argon2id$v=19$m=07168,t=5,p=1$" + salt + "$" + hash,
      "$argon2id$v=19$m=7168.0,t=5,p=1$" + salt + "$" + hash,
      "$argon2id$v=19$m=0x1C00,t=5,p=1$" + salt + "$" + hash,
      "$argon2id$v=19$m=,t=5,p=1$" + salt + "$" + hash,
      "$argon2id$v=19$m=2147483648,t=5,p=1$" + salt + "$" + hash,
      "$argon2id$v=19$m=99999999999999999999999999999,t=5,p=1$" + salt + "$" + hash,
      "$argon2id$v=19$m=7168,t=4294967301,p=1$" + salt + "$" + hash,
      "$argon2id$v=19$m=7168,t=5,p=1$" + salt + "=$" + hash,
      "$argon2id$v=19$m=7168,t=5,p=1$" + salt + "$" + hash + "=",
      "$argon2id$v=19$m=7168,t=5,p=1$" + salt + "$" + hash.replace('W', '-'),
      "$argon2id$v=19$m=7168,t=5,p=1$" + salt + "$" + hash.replace('W', '_'),
      "$argon2id$v=19$m=7168,t=5,p=1$" + salt + "$" + hash.substring(1),
      "$argon2id$v=19$m=7168,t=5,p=1$WlpaWlpaWlpaWlpaWlpaWr$" + hash, // stray bits in the last character
      "$argon2id$v=19$m=7168,t=5,p=1$$" + hash,
      "$argon2id$v=19$m=7168, t=5,p=1$" + salt + "$" + hash,
      "$argon2id$v=19$m=7168,t=5,p=1$" + salt + "$" + hash + "\n",
      "$argon2id$v=19$m=7168,t=5,p=1$" + salt + "$" + hash.replace('W', 'Ẃ'),
      "$pbkdf2$i=10000$" + salt + "$" + hash,
      "$pbkdf2-md5$i=10000$" + salt + "$" + hash,
      "$pbkdf2-sha384$i=10000$" + salt + "$" + hash,
      "$pbkdf2-sha256$10000$" + salt + "$" + hash,
      "$pbkdf2-sha256$i=10000,l=32,l=32$" + salt + "$" + hash,
      "$pbkdf2-sha256$i=10000,i=10000$" + salt + "$" + hash,
      "$pbkdf2-sha256$l=32,i=10000$" + salt + "$" + hash,
      "$pbkdf2-sha256$i=10000,l=31$" + salt + "$" + hash,  // l says 31, the hash is 32
      "$pbkdf2-sha256$i=10000,l=-32$" + salt + "$" + hash,
      "$pbkdf2-sha256$i=-10000$" + salt + "$" + hash,
      "$pbkdf2-sha256$i=10000$" + salt + "$" + hash + "$",
      "$pbkdf2-sha256$i=10000$" + salt,
      "$pbkdf2-sha1$i=10000$" + salt + "$" + hash, // no l=: 20 bytes, but the hash is 32
      "$2a$12$fByUJTVD/zEK.xeiIsuzJusheqdyV/v0yduno1VVTOvbSw7rHNyU",
      "$2a$12$fByUJTVD/zEK.xeiIsuzJusheqdyV/v0yduno1VVTOvbSw7rHNyUmm",
      "$2x$12$fByUJTVD/zEK.xeiIsuzJusheqdyV/v0yduno1VVTOvbSw7rHNyUm",
      "$2$12$fByUJTVD/zEK.xeiIsuzJusheqdyV/v0yduno1VVTOvbSw7rHNyUm",
      "$2a$1a$fByUJTVD/zEK.xeiIsuzJusheqdyV/v0yduno1VVTOvbSw7rHNyUm",
      "$2a$-1$fByUJTVD/zEK.xeiIsuzJusheqdyV/v0yduno1VVTOvbSw7rHNyUm",
      "$2a$12$fByUJTVD/zEK.xeiIsuzJusheqdyV/v0yduno1VVTOvbSw7rHNy+m",
      "$2a$12$fByUJTVD/zEK.xeiIsuzJusheqdyV/v0yduno1VVTOvbSw7rHNyUm$",
      "$2a$12fByUJTVD/zEK.xeiIsuzJusheqdyV/v0yduno1VVTOvbSw7rHNyUmx",
      "$argon2id$v=19$m=7168,t=5,p=1$" + "A".repeat(600) + "$" + hash,
      "$argon2id$v=19$m=7168,t=5,p=1$" + salt + "$" + hash + "x".repeat(1 << 20)));
    bad.add("x".repeat(1 << 20));
    bad.add("$".repeat(1 << 20));
    bad.add(null);
    for (String encoded : bad) {
      assertFormat(encoded);
    }
    // the structural rule of argon2 (8 KiB per lane) under limits that would let it through
    assertFormat("$argon2id$v=19$m=16,t=1,p=4$" + salt + "$" + hash, ANYTHING);
  }

  @Test
  void refusalsNeverQuoteTheInput() {
    String salt = "c29tZXNhbHRzb21lc2FsdA";
    String hash = "CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc";
    for (String encoded : List.of("$argon2id$v=19$m=7168,t=5,p=1$" + salt + "$" + hash + "=",
      "$argon2id$v=18$m=7168,t=5,p=1$" + salt + "$" + hash, "$argon2id$v=19$m=7168,t=50,p=1$" + salt + "$" + hash,
      "$pbkdf2-md5$i=1$" + salt + "$" + hash, "$" + hash + "$" + salt + "$x$y")) {
      assertThatThrownBy(() -> parse(encoded)).hasMessageNotContaining(salt).hasMessageNotContaining(hash);
    }
  }

  @Test
  void randomMutationsOfRealHashesGiveAHashOrTheOneException() {
    String[] seeds = {
      "$2a$06$fByUJTVD/zEK.xeiIsuzJusheqdyV/v0yduno1VVTOvbSw7rHNyUm",
      "$argon2id$v=19$m=7168,t=5,p=1$Trm8H2cjtFEnzlkmMRbQvA$egZRL05ULtiXr8pvuPRlF94nQQYzeIaxh5pDpi4srtY",
      "$argon2i$m=65536,t=2,p=1$c29tZXNhbHQ$9sTbSlTio3Biev89thdrlKKiCaYsjjYVJxGAL3swxpQ",
      "$pbkdf2-sha1$i=1300000,l=64$ODrH1McgCliaYMdLSTye2w$nmK7lN11oKYSuxR1jAPGMn5j8hVt6Asib5by09rAWwEmXTt5GTS8dih/11GkvGLvwfaR6Bdz5wgt3EvJ7+qhVw",
      "$pbkdf2-sha256$i=600000$BXM67PMY36TT6SUkEwW8CQ$8nlBmlB03LdcGEggwJmntdPabwa/q8fDmkg7nqQFqCg",
    };
    String alphabet = "$=,-+/.0123456789aAzZilmptv\u0000\u00e9\uD800 ";
    Random random = new Random(1515);
    int parsed = 0;
    for (int n = 0; n < 50_000; n++) {
      StringBuilder s = new StringBuilder(seeds[random.nextInt(seeds.length)]);
      for (int edits = 1 + random.nextInt(3); edits > 0; edits--) {
        int at = random.nextInt(s.length() + 1);
        switch (random.nextInt(4)) {
          case 0 -> s.insert(at, alphabet.charAt(random.nextInt(alphabet.length())));
          case 1 -> { if (at < s.length()) s.deleteCharAt(at); }
          case 2 -> { if (at < s.length()) s.setCharAt(at, alphabet.charAt(random.nextInt(alphabet.length()))); }
          default -> s.insert(at, s.substring(random.nextInt(s.length())));
        }
      }
      try {
        PasswordHash hash = parse(s.toString());
        assertThat(hash.encoded()).isEqualTo(s.toString());
        parsed++;
      } catch (UnsupportedHashException e) {
        assertThat(e.code()).isIn(UNSUPPORTED_HASH_FORMAT, HASH_COST_OUT_OF_RANGE);
      }
    }
    assertThat(parsed).as("some mutations are still hashes (the test reaches past the first check)").isPositive();
  }

  @Test
  void limitsThemselvesAreChecked() {
    assertThatThrownBy(() -> DEFAULTS.withBcryptCost(3, 16)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> DEFAULTS.withBcryptCost(12, 10)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> DEFAULTS.withBcryptCost(4, 32)).isInstanceOf(IllegalArgumentException.class);
  }
}
