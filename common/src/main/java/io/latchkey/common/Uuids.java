package io.latchkey.common;

import io.vertx.ext.web.RoutingContext;

import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Ids in requests: the API answers an id that is not a UUID like an unknown one, so every
 * reader parses with these and treats "not a UUID" as "no such thing".
 */
public final class Uuids {

  private static final Pattern UUID_TEXT =
    Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

  private Uuids() {
  }

  /** True for the 36-character hyphenated form (either case). */
  public static boolean isUuid(String text) {
    return text != null && UUID_TEXT.matcher(text).matches();
  }

  /** The UUID of the 36-character form, or null for anything else (never an exception). */
  public static UUID parseOrNull(String text) {
    return isUuid(text) ? UUID.fromString(text) : null;
  }

  /** A UUID text in canonical (lower-case) form; the text must be one ({@link #isUuid}). */
  public static String canonical(String text) {
    return UUID.fromString(text).toString();
  }

  /** The path parameter {@code name} as a UUID, or null when it is not one (the caller answers 404). */
  public static UUID fromPath(RoutingContext ctx, String name) {
    return parseOrNull(ctx.pathParam(name));
  }
}
