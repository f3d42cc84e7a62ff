package io.latchkey.common.hash;

import org.bouncycastle.crypto.generators.Argon2BytesGenerator;
import org.bouncycastle.crypto.params.Argon2Parameters;

/**
 * An argon2 hash in its reference PHC form, {@code $argon2id$v=19$m=<KiB>,t=<t>,p=<p>$<salt>$<hash>},
 * verified by Bouncy Castle's {@link Argon2BytesGenerator} over the password's UTF-8 bytes, without
 * secret (pepper) or associated data, as the reference implementation and Keycloak make them.
 */
final class Argon2Hash extends DerivedHash {

  /** The PHC identifiers, in Bouncy Castle's numbering (ARGON2_d = 0, ARGON2_i = 1, ARGON2_id = 2). */
  static final String[] NAMES = {"argon2d", "argon2i", "argon2id"};

  private final int type;
  private final int version;
  private final int memoryKib;
  private final int iterations;
  private final int parallelism;
  private final byte[] salt;
  private final byte[] hash;

  Argon2Hash(String encoded, int type, int version, int memoryKib, int iterations, int parallelism, byte[] salt, byte[] hash) {
    super(encoded);
    this.type = type;
    this.version = version;
    this.memoryKib = memoryKib;
    this.iterations = iterations;
    this.parallelism = parallelism;
    this.salt = salt;
    this.hash = hash;
  }

  @Override
  public String algorithm() {
    return NAMES[type];
  }

  @Override
  byte[] derive(byte[] password) {
    return derive(type, version, memoryKib, iterations, parallelism, salt, null, null, password, hash.length);
  }

  @Override
  byte[] expected() {
    return hash;
  }

  /**
   * Argon2 of {@code password}. {@code secret} and {@code associatedData} are null for every hash
   * we verify; they are here for RFC 9106's test vectors, which use them.
   */
  static byte[] derive(int type, int version, int memoryKib, int iterations, int parallelism, byte[] salt,
                       byte[] secret, byte[] associatedData, byte[] password, int length) {
    Argon2Parameters.Builder parameters = new Argon2Parameters.Builder(type)
      .withVersion(version)
      .withMemoryAsKB(memoryKib)
      .withIterations(iterations)
      .withParallelism(parallelism)
      .withSalt(salt);
    if (secret != null) {
      parameters.withSecret(secret);
    }
    if (associatedData != null) {
      parameters.withAdditional(associatedData);
    }
    Argon2BytesGenerator generator = new Argon2BytesGenerator();
    generator.init(parameters.build());
    byte[] out = new byte[length];
    generator.generateBytes(password, out);
    return out;
  }

  @Override
  public String toString() {
    return "PasswordHash[" + algorithm() + ", v=" + version + ", m=" + memoryKib + ", t=" + iterations + ", p=" + parallelism + "]";
  }
}
