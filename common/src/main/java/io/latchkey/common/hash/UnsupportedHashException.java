package io.latchkey.common.hash;

/**
 * A password hash this package does not take, with a stable {@link #code()} for the import's
 * error lines: {@link #UNSUPPORTED_HASH_FORMAT} (not a form we read, or malformed) or
 * {@link #HASH_COST_OUT_OF_RANGE} (well formed, but a parameter is outside the {@link HashLimits}).
 * The message says what is wrong in words and numbers; it never contains the hash, its salt or
 * any other text of the input, so it may be logged and returned to the caller as it is.
 *
 * <p>Thrown often on hostile input, so it carries no stack trace (it is cheap to make).
 */
public final class UnsupportedHashException extends RuntimeException {

  /** Not bcrypt, PHC argon2 or PHC PBKDF2, or malformed (bad base64, a missing or repeated parameter...). */
  public static final String UNSUPPORTED_HASH_FORMAT = "unsupported_hash_format";
  /** Well formed, but a cost, salt or hash length is outside the {@link HashLimits}. */
  public static final String HASH_COST_OUT_OF_RANGE = "hash_cost_out_of_range";

  private final String code;

  private UnsupportedHashException(String code, String message) {
    super(message, null, false, false);
    this.code = code;
  }

  static UnsupportedHashException format(String message) {
    return new UnsupportedHashException(UNSUPPORTED_HASH_FORMAT, message);
  }

  static UnsupportedHashException outOfRange(String message) {
    return new UnsupportedHashException(HASH_COST_OUT_OF_RANGE, message);
  }

  /** {@link #UNSUPPORTED_HASH_FORMAT} or {@link #HASH_COST_OUT_OF_RANGE}. */
  public String code() {
    return code;
  }
}
