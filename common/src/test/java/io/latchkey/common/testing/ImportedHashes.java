package io.latchkey.common.testing;

import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Hashes as another system would have written them, for tests of imported users: argon2 by Bouncy
 * Castle and PBKDF2 by the JDK (not by the code under test), in the PHC forms of API.md, over the
 * password's UTF-8 bytes exactly as given (as Keycloak hashes). Small costs keep tests fast; the
 * import's lower limits (argon2 1 MiB, PBKDF2 1,000 iterations) still hold.
 */
public final class ImportedHashes {

  private static final Base64.Encoder PHC = Base64.getEncoder().withoutPadding();
  private static final SecureRandom RANDOM = new SecureRandom();

  private ImportedHashes() {
  }

  /** {@code $argon2id$v=19$m=1024,t=1,p=1$…}: argon2id at the import's lowest memory. */
  public static String argon2id(String password) {
    return argon2id(password, 1024, 1, 1);
  }

  public static String argon2id(String password, int memoryKib, int iterations, int lanes) {
    byte[] salt = salt();
    Argon2BytesGenerator generator = new Argon2BytesGenerator();
    generator.init(new Argon2Parameters.Builder(Argon2Parameters.ARGON2_id).withVersion(Argon2Parameters.ARGON2_VERSION_13)
      .withMemoryAsKB(memoryKib).withIterations(iterations).withParallelism(lanes).withSalt(salt).build());
    byte[] hash = new byte[32];
    generator.generateBytes(password.getBytes(StandardCharsets.UTF_8), hash);
    return "$argon2id$v=19$m=" + memoryKib + ",t=" + iterations + ",p=" + lanes + "$" + PHC.encodeToString(salt) + "$"
      + PHC.encodeToString(hash);
  }

  /** {@code $pbkdf2-sha256$i=1000$…} (the hash the digest's length, no {@code l=}). */
  public static String pbkdf2Sha256(String password) {
    return pbkdf2("sha256", password, 1000, 32);
  }

  /** {@code $pbkdf2-<digest>$i=<iterations>,l=<bytes>$…}; digest sha1, sha256 or sha512. */
  public static String pbkdf2(String digest, String password, int iterations, int bytes) {
    byte[] salt = salt();
    try {
      SecretKeyFactory factory = SecretKeyFactory.getInstance("PBKDF2WithHmac" + digest.toUpperCase(java.util.Locale.ROOT));
      // the JDK's PBKDF2 takes chars and encodes them as UTF-8, as Keycloak does
      byte[] hash = factory.generateSecret(new PBEKeySpec(password.toCharArray(), salt, iterations, bytes * 8)).getEncoded();
      String length = bytes == defaultLength(digest) ? "" : ",l=" + bytes;
      return "$pbkdf2-" + digest + "$i=" + iterations + length + "$" + PHC.encodeToString(salt) + "$" + PHC.encodeToString(hash);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  private static int defaultLength(String digest) {
    return switch (digest) {
      case "sha1" -> 20;
      case "sha256" -> 32;
      case "sha512" -> 64;
      default -> throw new IllegalArgumentException(digest);
    };
  }

  private static byte[] salt() {
    byte[] salt = new byte[16];
    RANDOM.nextBytes(salt);
    return salt;
  }
}
