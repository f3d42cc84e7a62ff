package io.latchkey.common.hash;

/**
 * A stored password hash, parsed ({@link PasswordHashes#parse}): bcrypt, which this service
 * writes, or an imported argon2 or PBKDF2 hash, which it only verifies and replaces by bcrypt at
 * the user's first successful login (issue 15).
 *
 * <p>Three implementations, all package-private (callers see only this interface): bcrypt
 * ({@code BcryptHash}), and the imported kinds, which share their verification
 * ({@code DerivedHash}): argon2 ({@code Argon2Hash}) and PBKDF2 ({@code Pbkdf2Hash}).
 *
 * <p>{@link #verify} is the slow part (a bcrypt, argon2 or PBKDF2 computation, from ~0.1 s to
 * over a second; see {@code PasswordHashesTest} for the figures of Keycloak's defaults): call it
 * on the bounded hashing pool, never on an event loop. Everything else is cheap.
 *
 * <p><b>Which form of the password.</b> Pass the password as the user sent it; each kind of hash
 * applies the rule its hashes were made with:
 * <ul>
 *   <li>bcrypt (ours): the password's Unicode NFKC form, as the user service hashes it (see
 *       {@link PasswordHashes#bcryptInput}); a password whose NFKC form is over 72 UTF-8 bytes or
 *       has a control character or a lone surrogate never matches, as before this package.
 *       NFKC is idempotent, so an already normalized password gives the same answer.</li>
 *   <li>argon2 and PBKDF2 (imported): the password's UTF-8 bytes exactly as given, without any
 *       normalization and without the 72-byte limit, because that is what Keycloak (and the
 *       other systems these hashes come from) hashed; a user who typed a password in a form NFKC
 *       changes (a ligature, a full-width letter) still gets in. A password with a lone
 *       surrogate has no UTF-8 form and never matches (encoding it would turn the surrogate into
 *       '?').</li>
 * </ul>
 * So the caller must not hand an NFKC-normalized password to an imported hash; and when it
 * upgrades an imported hash after a successful login, it hashes {@link PasswordHashes#bcryptInput}
 * of the password (and keeps the imported hash when that is empty: a bcrypt hash of it could never
 * be verified).
 *
 * <p>The derived bytes are compared in constant time ({@code MessageDigest.isEqual}; bcrypt by
 * at.favre's verifier, which does the same). {@link #toString()} shows the algorithm only, never
 * the hash.
 */
public sealed interface PasswordHash permits BcryptHash, DerivedHash {

  /**
   * The algorithm: {@code "bcrypt"}, {@code "argon2id"}, {@code "argon2i"}, {@code "argon2d"},
   * {@code "pbkdf2-sha1"}, {@code "pbkdf2-sha256"} or {@code "pbkdf2-sha512"}.
   */
  String algorithm();

  /** The encoded form, as parsed (the string to store; parsing it again gives the same hash). */
  String encoded();

  /** True when the password matches (see the class comment for the form used). Slow: off the event loop. */
  boolean verify(String password);

  /** True for a bcrypt hash ($2a$, $2b$ or $2y$), the kind this service writes. */
  default boolean isBcrypt() {
    return false;
  }

  /** True for a bcrypt hash ($2a$, $2b$ or $2y$) of exactly this cost: one that needs no upgrade at login. */
  default boolean isBcryptWithCost(int cost) {
    return false;
  }
}
