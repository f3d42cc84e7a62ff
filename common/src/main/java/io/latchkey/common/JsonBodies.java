package io.latchkey.common;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Reading request bodies: JSON objects only, no unknown fields, typed fields with problem+json errors. */
public final class JsonBodies {

  private static final JsonFactory STREAMING = new JsonFactory();

  private JsonBodies() {
  }

  /** The body as a JSON object; 400 malformed_request when it is absent, not JSON, or not an object. */
  public static JsonObject object(RoutingContext ctx) {
    Buffer body = ctx.body().buffer();
    if (body == null || body.length() == 0) {
      throw ApiException.malformed("The request body must be a JSON object.");
    }
    Object value;
    try {
      value = Json.decodeValue(body);
    } catch (DecodeException e) {
      throw ApiException.malformed("The request body is not valid JSON.");
    }
    if (!(value instanceof JsonObject json)) {
      throw ApiException.malformed("The request body must be a JSON object.");
    }
    return json;
  }

  /**
   * The one string field of a body that may hold nothing else: {@link #object}, {@link #onlyFields}
   * and {@link #string} in one. A body that is exactly {@code {"<field>":"..."}} is read with
   * Jackson's streaming parser, without building an object (the validate-token and refresh
   * bodies, on every call); any other body takes the general path, so every answer, errors
   * included, is the one the general path gives. Absent or null gives null.
   */
  public static String onlyString(RoutingContext ctx, String field) {
    Buffer body = ctx.body().buffer();
    String value = body == null ? null : exactlyOneStringField(body, field);
    if (value != null) {
      return TextRules.check(field, value);
    }
    JsonObject json = object(ctx);
    onlyFields(json, Set.of(field));
    return string(json, field);
  }

  /** The value when the body is one object holding only {@code field}, a string, and nothing after it; else null. */
  static String exactlyOneStringField(Buffer body, String field) {
    if (body.length() < 2 || body.getByte(0) != '{') {
      return null;
    }
    try (JsonParser parser = STREAMING.createParser(body.getBytes())) {
      if (parser.nextToken() != JsonToken.START_OBJECT
        || parser.nextToken() != JsonToken.FIELD_NAME || !field.equals(parser.currentName())
        || parser.nextToken() != JsonToken.VALUE_STRING) {
        return null;
      }
      String value = parser.getText();
      return parser.nextToken() == JsonToken.END_OBJECT && parser.nextToken() == null ? value : null;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** The body as a JSON object, or an empty object when there is no body at all. */
  public static JsonObject objectOrEmpty(RoutingContext ctx) {
    Buffer body = ctx.body().buffer();
    if (body == null || body.toString().isBlank()) {
      return new JsonObject();
    }
    return object(ctx);
  }

  /** 400 validation_failed naming every field the endpoint does not accept. */
  public static void onlyFields(JsonObject body, Set<String> allowed) {
    List<ApiException.FieldError> errors = new ArrayList<>();
    for (String name : body.fieldNames()) {
      if (!allowed.contains(name)) {
        errors.add(new ApiException.FieldError(name, "This field is not accepted here."));
      }
    }
    if (!errors.isEmpty()) {
      throw ApiException.validation(errors);
    }
  }

  /**
   * A string field: absent or null gives null; any other JSON type is 400 malformed_request
   * (a wrong JSON type); control characters or a lone surrogate are 400 validation_failed
   * naming the field ({@link TextRules}). Every string field of every body is read through here.
   */
  public static String string(JsonObject body, String field) {
    Object value = body.getValue(field);
    if (value == null) {
      return null;
    }
    if (!(value instanceof String s)) {
      throw ApiException.malformed("The field '" + field + "' must be a string.");
    }
    return TextRules.check(field, s);
  }

  /** A required user id: 400 validation_failed when absent or not a UUID, malformed when not a string; canonical form. */
  public static String requiredUserId(JsonObject body, String field) {
    String value = string(body, field);
    if (value == null) {
      throw ApiException.validation(field, "Required.");
    }
    if (!Uuids.isUuid(value)) {
      throw ApiException.validation(field, "Must be a UUID.");
    }
    return Uuids.canonical(value);
  }

  /** An optional id (absent or null: null); 400 validation_failed when not a UUID; canonical form. */
  public static String optionalUuid(JsonObject body, String field, String message) {
    String value = string(body, field);
    if (value == null) {
      return null;
    }
    if (!Uuids.isUuid(value)) {
      throw ApiException.validation(field, message);
    }
    return Uuids.canonical(value);
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
}
