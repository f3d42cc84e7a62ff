package io.latchkey.common.hash;

import org.bouncycastle.crypto.Digest;
import org.bouncycastle.crypto.digests.SHA1Digest;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.digests.SHA512Digest;
import org.bouncycastle.crypto.generators.PKCS5S2ParametersGenerator;
import org.bouncycastle.crypto.params.KeyParameter;

import java.util.Arrays;
import java.util.function.Supplier;

/**
 * A PBKDF2 hash (RFC 8018, HMAC-SHA1, -SHA256 or -SHA512) in the PHC-style form of API.md,
 * {@code $pbkdf2-sha256$i=<iterations>,l=<hash bytes>$<salt>$<hash>}, verified by Bouncy Castle's
 * {@link PKCS5S2ParametersGenerator} over the password's UTF-8 bytes.
 *
 * <p><b>Only the first block is derived.</b> PBKDF2 computes its output one digest-sized block
 * at a time, each block from the password, the salt and its own index alone, each at the full
 * iteration count. Keycloak's {@code pbkdf2} (SHA-1) keeps 64 bytes, four SHA-1 blocks: four
 * times 1.3 million HMACs for a check that the first 20 bytes already decide (a match of 160
 * bits of HMAC output). So {@link #verify} derives {@code min(l, digest length)} bytes and compares
 * them with as many leading bytes of the stored hash. This gives an attacker nothing (anyone
 * guessing passwords against a stolen hash does the same), and cuts a Keycloak SHA-1 login from
 * ~5 s to ~1.3 s of a hashing thread. For SHA-256 and SHA-512 hashes of their digest length (what
 * Keycloak writes) it changes nothing.
 */
final class Pbkdf2Hash extends DerivedHash {

  /** The pseudo-random functions taken, with their PHC names. */
  enum Prf {
    SHA1("pbkdf2-sha1", 20, SHA1Digest::new),
    SHA256("pbkdf2-sha256", 32, SHA256Digest::new),
    SHA512("pbkdf2-sha512", 64, SHA512Digest::new);

    final String id;
    final int digestBytes;
    private final Supplier<Digest> digest;

    Prf(String id, int digestBytes, Supplier<Digest> digest) {
      this.id = id;
      this.digestBytes = digestBytes;
      this.digest = digest;
    }

    static Prf byId(String id) {
      for (Prf prf : values()) {
        if (prf.id.equals(id)) {
          return prf;
        }
      }
      return null;
    }
  }

  private final Prf prf;
  private final int iterations;
  private final byte[] salt;
  private final int length;
  /** The first min(l, digest length) bytes of the stored hash: what {@link #verify} compares. */
  private final byte[] firstBlock;

  Pbkdf2Hash(String encoded, Prf prf, int iterations, byte[] salt, byte[] hash) {
    super(encoded);
    this.prf = prf;
    this.iterations = iterations;
    this.salt = salt;
    this.length = hash.length;
    this.firstBlock = Arrays.copyOf(hash, Math.min(hash.length, prf.digestBytes));
  }

  @Override
  public String algorithm() {
    return prf.id;
  }

  @Override
  byte[] derive(byte[] password) {
    return derive(prf, password, salt, iterations, firstBlock.length);
  }

  @Override
  byte[] expected() {
    return firstBlock;
  }

  /** PBKDF2-HMAC of {@code password}, {@code length} bytes (any number of blocks). */
  static byte[] derive(Prf prf, byte[] password, byte[] salt, int iterations, int length) {
    PKCS5S2ParametersGenerator generator = new PKCS5S2ParametersGenerator(prf.digest.get());
    generator.init(password, salt, iterations);
    return ((KeyParameter) generator.generateDerivedParameters(length * 8)).getKey();
  }

  @Override
  public String toString() {
    return "PasswordHash[" + prf.id + ", i=" + iterations + ", l=" + length + "]";
  }
}
