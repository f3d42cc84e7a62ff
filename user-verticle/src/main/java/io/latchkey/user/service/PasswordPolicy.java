package io.latchkey.user.service;

import java.nio.charset.StandardCharsets;
import java.text.Normalizer;
import java.util.Optional;

/**
 * The password rules. A password is first normalized to Unicode NFKC; then it must
 * have 8 to 128 characters (code points), at most 72 bytes in UTF-8 (bcrypt ignores anything
 * beyond, so longer ones are refused rather than silently truncated), and must not be on the
 * common-password list (ignoring case). The normalized form is what gets hashed and verified.
 */
public final class PasswordPolicy {

  public static final int MIN_CHARS = 8;
  public static final int MAX_CHARS = 128;
  public static final int MAX_UTF8_BYTES = 72;

  private final CommonPasswords common;

  public PasswordPolicy(CommonPasswords common) {
    this.common = common;
  }

  /** The form passwords are hashed and compared in. */
  public static String normalize(String password) {
    return Normalizer.normalize(password, Normalizer.Form.NFKC);
  }

  /** Why the (raw) password is refused, or empty when it is acceptable. */
  public Optional<String> problem(String password) {
    String normalized = normalize(password);
    int chars = normalized.codePointCount(0, normalized.length());
    if (chars < MIN_CHARS) {
      return Optional.of("The password must have at least " + MIN_CHARS + " characters.");
    }
    if (chars > MAX_CHARS) {
      return Optional.of("The password must have at most " + MAX_CHARS + " characters.");
    }
    if (normalized.getBytes(StandardCharsets.UTF_8).length > MAX_UTF8_BYTES) {
      return Optional.of("The password must be at most " + MAX_UTF8_BYTES + " bytes in UTF-8 (fewer characters when they are not ASCII).");
    }
    if (common.contains(normalized)) {
      return Optional.of("The password is one of the most common passwords; choose another.");
    }
    return Optional.empty();
  }
}
