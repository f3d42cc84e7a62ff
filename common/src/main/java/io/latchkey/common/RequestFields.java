package io.latchkey.common;

import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.UUID;
import java.util.regex.Pattern;

/** Small readers for the request fields of the login, sync and admin routes. */
public final class RequestFields {

  private static final Pattern UUID_TEXT =
    Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

  private RequestFields() {
  }

  public static boolean isUuid(String text) {
    return text != null && UUID_TEXT.matcher(text).matches();
  }

  /** A UUID in canonical (lower-case) form. */
  public static String canonicalUuid(String text) {
    return UUID.fromString(text).toString();
  }

  /** A required user id: 400 validation_failed when absent or not a UUID, malformed when not a string. */
  public static String requiredUserId(JsonObject body, String field) {
    String value = io.latchkey.common.JsonBodies.string(body, field);
    if (value == null) {
      throw ApiException.validation(field, "Required.");
    }
    if (!isUuid(value)) {
      throw ApiException.validation(field, "Must be a UUID.");
    }
    return canonicalUuid(value);
  }

  /** A required whole number from {@code min}; a JSON type other than a number is 400 malformed_request. */
  public static long requiredLong(JsonObject body, String field, long min) {
    Object value = body.getValue(field);
    if (value == null) {
      throw ApiException.validation(field, "Required.");
    }
    if (!(value instanceof Number n)) {
      throw ApiException.malformed("The field '" + field + "' must be a number.");
    }
    double d = n.doubleValue();
    if (d != Math.rint(d) || d < min || d > Long.MAX_VALUE / 2.0) {
      throw ApiException.validation(field, "Must be a whole number from " + min + ".");
    }
    return n.longValue();
  }

  /** A path parameter that must be a UUID; otherwise the resource is unknown (404), as API.md says. */
  public static String pathUserId(RoutingContext ctx, String name, ApiException notFound) {
    String value = ctx.pathParam(name);
    if (!isUuid(value)) {
      throw notFound;
    }
    return canonicalUuid(value);
  }
}
