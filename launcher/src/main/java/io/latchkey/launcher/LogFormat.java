package io.latchkey.launcher;

import java.util.Locale;
import java.util.Map;

/**
 * LOG_FORMAT: how a process writes its log lines. {@code text} (the default) is one readable
 * line per event; {@code json} is one JSON object per line (time, level, logger, thread,
 * requestId, message, stackTrace) for log shippers. The launcher hands the choice to logback,
 * whose configuration picks the appender by this name.
 */
public enum LogFormat {
  TEXT, JSON;

  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The format named by LOG_FORMAT (text when unset); anything else is a usage error naming the variable. */
  public static LogFormat fromEnvironment(Map<String, String> env) {
    String value = env.get("LOG_FORMAT");
    if (value == null || value.isBlank()) {
      return TEXT;
    }
    for (LogFormat format : values()) {
      if (format.wire().equals(value.trim().toLowerCase(Locale.ROOT))) {
        return format;
      }
    }
    throw new UsageException("invalid LOG_FORMAT=" + value + " (expected text or json)");
  }
}
