package io.latchkey.common;

/**
 * The bcrypt pool's settings, the same keys for both services (the user service hashes and
 * verifies, the auth service verifies and checks unknown logins against a dummy hash of this
 * cost: keep {@code BCRYPT_COST} equal on both).
 *
 * @param cost    BCRYPT_COST / bcryptCost (12): work factor of new hashes and of the dummy hash
 * @param threads BCRYPT_THREADS / bcryptThreads (the cores): threads hashing and verifying
 * @param queue   BCRYPT_QUEUE / bcryptQueue (64): operations that may wait; beyond it 503 overloaded
 */
public record BcryptSettings(int cost, int threads, int queue) {

  public static BcryptSettings from(Settings s) {
    return new BcryptSettings(
      s.integer("bcryptCost", "BCRYPT_COST", 12, 4, 31),
      s.integer("bcryptThreads", "BCRYPT_THREADS", Runtime.getRuntime().availableProcessors(), 1, 256),
      s.integer("bcryptQueue", "BCRYPT_QUEUE", 64, 1, 100_000));
  }
}
