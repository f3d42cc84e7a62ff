package io.latchkey.launcher;

import java.util.Locale;

/** Which service(s) one process runs. */
public enum Role {
  USER, AUTH, ALL;

  public boolean runsUser() {
    return this == USER || this == ALL;
  }

  public boolean runsAuth() {
    return this == AUTH || this == ALL;
  }

  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses {@code user}, {@code auth} or {@code all}; anything else is a usage error naming the source. */
  public static Role parse(String value, String source) {
    if (value != null) {
      for (Role role : values()) {
        if (role.wire().equals(value.trim().toLowerCase(Locale.ROOT))) {
          return role;
        }
      }
    }
    throw new UsageException("invalid role " + source + "=" + value + " (expected user, auth or all)");
  }
}
