package io.latchkey.common;

import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;

import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;

/**
 * X-Request-Id: the caller's value when it is sane, a new one otherwise. Stored in the routing
 * context under {@link #KEY}, echoed on every response, and forwarded on every bus message.
 */
public final class RequestIds implements Handler<RoutingContext> {

  public static final String HEADER = "X-Request-Id";
  public static final String KEY = "requestId";
  private static final Pattern SANE = Pattern.compile("[A-Za-z0-9._:\\-]{1,128}");

  @Override
  public void handle(RoutingContext ctx) {
    String id = sanitize(ctx.request().getHeader(HEADER));
    ctx.put(KEY, id);
    ctx.response().putHeader(HEADER, id);
    ctx.next();
  }

  /** The caller's id when sane, else a fresh one. */
  public static String sanitize(String candidate) {
    return isSane(candidate) ? candidate : fresh();
  }

  /**
   * A new id: a version-4 UUID from the thread's own random generator. A request id correlates
   * log lines and audit events and is no secret (a caller may choose its own), so it needs no
   * {@code SecureRandom}, whose shared generator {@code UUID.randomUUID()} locks on every request.
   */
  public static String fresh() {
    ThreadLocalRandom random = ThreadLocalRandom.current();
    long high = (random.nextLong() & ~0xF000L) | 0x4000L;
    long low = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
    return new UUID(high, low).toString();
  }

  /** Whether a value has the shape of a request id (what {@link #sanitize} keeps). */
  public static boolean isSane(String candidate) {
    return candidate != null && SANE.matcher(candidate).matches();
  }

  /** The request id of a routing context (a fresh one if the handler did not run). */
  public static String of(RoutingContext ctx) {
    String id = ctx.get(KEY);
    return id != null ? id : fresh();
  }
}
