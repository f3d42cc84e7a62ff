package io.latchkey.common.hash;

/**
 * The parameters an encoded hash may ask for; {@link PasswordHashes#parse} refuses one outside
 * them with {@code hash_cost_out_of_range}. The point is to refuse an absurd imported hash at
 * import rather than at login: an argon2 hash claiming 4 GiB of memory, or a PBKDF2 hash of a
 * billion iterations, would otherwise take a hashing thread (and memory) for as long as it likes
 * each time someone tries that user's password.
 *
 * <p>{@link #defaults()}:
 * <ul>
 *   <li>bcrypt cost 4..16 (16 is ~16 times our default 12; 31 would take days);</li>
 *   <li>argon2 memory 1024..65536 KiB (1 MiB..64 MiB; Keycloak writes 7168), iterations (t) 1..10
 *       (Keycloak: 5), parallelism (p) 1..4 (Keycloak: 1) — verification runs the lanes one after
 *       the other on one hashing thread, so p multiplies nothing but is kept small all the same;</li>
 *   <li>PBKDF2 iterations from 1,000 up to 1,300,000 for SHA-1, 1,200,000 for SHA-256 and
 *       420,000 for SHA-512: Keycloak 26's defaults (1,300,000 / 600,000 / 210,000) pass, and the
 *       SHA-256 and SHA-512 bounds leave twice Keycloak's (OWASP's) figure;</li>
 *   <li>salt 8..64 bytes, and hash (derived key) 16..64 bytes, for argon2 and PBKDF2 alike.</li>
 * </ul>
 * The lower bounds refuse what is not a real password hash (a PBKDF2 "hash" of 1 iteration, an
 * argon2 of 8 KiB, a 4-byte salt); weak but real hashes above them are taken, because they are
 * replaced by bcrypt at the user's first login. The lower bounds of memory and iterations are
 * not a judgement of strength: a 1,000-iteration PBKDF2 is weak, but refusing it would only make
 * its users reset their passwords.
 *
 * <p>The lengths of the encoded string itself are bounded apart from these limits
 * ({@link PasswordHashes#MAX_ENCODED_LENGTH}).
 */
public record HashLimits(
  int bcryptMinCost, int bcryptMaxCost,
  int argon2MinMemoryKib, int argon2MaxMemoryKib,
  int argon2MinIterations, int argon2MaxIterations,
  int argon2MaxParallelism,
  int pbkdf2MinIterations, int pbkdf2Sha1MaxIterations, int pbkdf2Sha256MaxIterations, int pbkdf2Sha512MaxIterations,
  int minSaltBytes, int maxSaltBytes,
  int minHashBytes, int maxHashBytes) {

  public HashLimits {
    range("bcrypt cost", bcryptMinCost, bcryptMaxCost, 4, 31);
    range("argon2 memory", argon2MinMemoryKib, argon2MaxMemoryKib, 8, Integer.MAX_VALUE);
    range("argon2 iterations", argon2MinIterations, argon2MaxIterations, 1, Integer.MAX_VALUE);
    range("argon2 parallelism", 1, argon2MaxParallelism, 1, 0xFFFFFF);
    range("PBKDF2-SHA1 iterations", pbkdf2MinIterations, pbkdf2Sha1MaxIterations, 1, Integer.MAX_VALUE);
    range("PBKDF2-SHA256 iterations", pbkdf2MinIterations, pbkdf2Sha256MaxIterations, 1, Integer.MAX_VALUE);
    range("PBKDF2-SHA512 iterations", pbkdf2MinIterations, pbkdf2Sha512MaxIterations, 1, Integer.MAX_VALUE);
    range("salt bytes", minSaltBytes, maxSaltBytes, 1, Integer.MAX_VALUE);
    range("hash bytes", minHashBytes, maxHashBytes, 4, Integer.MAX_VALUE);
  }

  /** The limits of an import; see the class comment for each and why. */
  public static HashLimits defaults() {
    return new HashLimits(4, 16, 1024, 65536, 1, 10, 4, 1000, 1_300_000, 1_200_000, 420_000, 8, 64, 16, 64);
  }

  /**
   * These limits with another bcrypt cost range: the login path reads hashes this service wrote
   * itself at the configured {@code BCRYPT_COST} (4..31), which may be above the import's 16.
   */
  public HashLimits withBcryptCost(int min, int max) {
    return new HashLimits(min, max, argon2MinMemoryKib, argon2MaxMemoryKib, argon2MinIterations, argon2MaxIterations,
      argon2MaxParallelism, pbkdf2MinIterations, pbkdf2Sha1MaxIterations, pbkdf2Sha256MaxIterations,
      pbkdf2Sha512MaxIterations, minSaltBytes, maxSaltBytes, minHashBytes, maxHashBytes);
  }

  private static void range(String what, int min, int max, int floor, int ceiling) {
    if (min < floor || max > ceiling || min > max) {
      throw new IllegalArgumentException(what + " limits must satisfy " + floor + " <= min <= max <= " + ceiling);
    }
  }
}
