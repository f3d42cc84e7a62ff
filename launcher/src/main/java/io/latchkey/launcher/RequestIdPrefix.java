package io.latchkey.launcher;

import ch.qos.logback.classic.spi.ILoggingEvent;
import io.latchkey.common.RequestIds;

/**
 * The request id of a log event, for the JSON format. The code writes it the one way STYLE.md
 * asks for: first, as {@code LOG.info("[{}] ...", requestId, ...)}. So the id is read from the
 * event itself (its message pattern starts with {@code "[{}] "} and its first argument is a sane
 * request id) and not from a thread-bound MDC, which an event loop running many requests at once
 * would hand from one request's line to another's.
 */
final class RequestIdPrefix {

  private static final String PATTERN_PREFIX = "[{}] ";

  private RequestIdPrefix() {
  }

  /** The event's request id, or null when its message does not start with one. */
  static String requestId(ILoggingEvent event) {
    String pattern = event.getMessage();
    Object[] args = event.getArgumentArray();
    if (pattern == null || !pattern.startsWith(PATTERN_PREFIX) || args == null || args.length == 0
      || !(args[0] instanceof String id) || !RequestIds.isSane(id)) {
      return null;
    }
    return event.getFormattedMessage().startsWith("[" + id + "] ") ? id : null;
  }

  /** The formatted message without its {@code "[<request id>] "} prefix (the id has its own field). */
  static String messageWithoutPrefix(ILoggingEvent event) {
    String message = event.getFormattedMessage();
    String id = requestId(event);
    return id == null ? message : message.substring(id.length() + 3);
  }
}
