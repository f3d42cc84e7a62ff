package io.latchkey.common;

import java.util.Locale;

/**
 * {@code LATCHKEY_PROFILE}, decided once by the launcher and handed to every configuration
 * holder: {@link #PRODUCTION} refuses development keys and derived secrets.
 */
public enum Profile {
  DEVELOPMENT,
  PRODUCTION;

  /** {@code development} (also when absent or blank) or {@code production}, without regard to case; anything else is refused. */
  public static Profile parse(String value) {
    if (value == null || value.isBlank()) {
      return DEVELOPMENT;
    }
    return switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "development" -> DEVELOPMENT;
      case "production" -> PRODUCTION;
      default -> throw new IllegalArgumentException("invalid LATCHKEY_PROFILE=" + value + " (expected development or production)");
    };
  }

  public boolean production() {
    return this == PRODUCTION;
  }
}
