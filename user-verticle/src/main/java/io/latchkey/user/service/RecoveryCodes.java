package io.latchkey.user.service;

import java.security.SecureRandom;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Recovery codes: {@link #COUNT} per user, each 10 characters of Crockford's Base32 (50 random
 * bits) shown as {@code xxxxx-xxxxx}. Accepted in any case, with or without the hyphen or
 * spaces, and with Crockford's readings of look-alikes ({@code O} as 0, {@code I} and {@code L}
 * as 1).
 */
public final class RecoveryCodes {

  public static final int COUNT = 10;
  public static final int LENGTH = 10;
  /** Crockford's Base32: 32 symbols, 5 bits each, without I, L, O and U. */
  static final String ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  private static final SecureRandom RANDOM = new SecureRandom();

  private RecoveryCodes() {
  }

  /** {@link #COUNT} distinct new codes, as shown to the user. */
  public static List<String> generate() {
    Set<String> codes = new LinkedHashSet<>();
    while (codes.size() < COUNT) {
      StringBuilder code = new StringBuilder(LENGTH + 1);
      for (int i = 0; i < LENGTH; i++) {
        if (i == LENGTH / 2) {
          code.append('-');
        }
        code.append(ALPHABET.charAt(RANDOM.nextInt(ALPHABET.length())));
      }
      codes.add(code.toString().toLowerCase(Locale.ROOT));
    }
    return List.copyOf(codes);
  }

  /** The canonical form a code is hashed in, or null when the text cannot be a code. */
  public static String normalize(String text) {
    if (text == null || text.length() > 64) {
      return null;
    }
    StringBuilder out = new StringBuilder(LENGTH);
    for (int i = 0; i < text.length(); i++) {
      char raw = text.charAt(i);
      if (raw > 127) {
        return null;
      }
      char c = Character.toUpperCase(raw);
      if (c == '-' || c == ' ') {
        continue;
      }
      c = switch (c) {
        case 'O' -> '0';
        case 'I', 'L' -> '1';
        default -> c;
      };
      if (ALPHABET.indexOf(c) < 0) {
        return null;
      }
      out.append(c);
    }
    return out.length() == LENGTH ? out.toString() : null;
  }
}
