package io.latchkey.common;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A failure with a place in the contract: an HTTP status, a problem code, a human detail and,
 * for validation failures, the fields at fault. Handlers fail with it; {@link ProblemHandler}
 * writes it; {@link BusReplies} carries it across the event bus.
 */
public class ApiException extends RuntimeException {

  public record FieldError(String field, String message) {
    public JsonObject toJson() {
      return new JsonObject().put("field", field).put("message", message);
    }
  }

  private final int status;
  private final String code;
  private final List<FieldError> errors;
  private final Map<String, String> headers = new LinkedHashMap<>();

  public ApiException(int status, String code, String detail) {
    this(status, code, detail, List.of());
  }

  public ApiException(int status, String code, String detail, List<FieldError> errors) {
    super(detail, null, false, false);
    this.status = status;
    this.code = code;
    this.errors = List.copyOf(errors);
  }

  public int status() {
    return status;
  }

  public String code() {
    return code;
  }

  public String detail() {
    return getMessage();
  }

  public List<FieldError> errors() {
    return errors;
  }

  public Map<String, String> headers() {
    return headers;
  }

  public ApiException withHeader(String name, String value) {
    headers.put(name, value);
    return this;
  }

  /** The wire form used on the event bus (the reply failure message). */
  public JsonObject toJson() {
    JsonObject json = new JsonObject().put("status", status).put("code", code).put("detail", getMessage());
    if (!errors.isEmpty()) {
      JsonArray array = new JsonArray();
      errors.forEach(e -> array.add(e.toJson()));
      json.put("errors", array);
    }
    if (!headers.isEmpty()) {
      json.put("headers", new JsonObject(new LinkedHashMap<>(headers)));
    }
    return json;
  }

  public static ApiException fromJson(JsonObject json) {
    List<FieldError> errors = new java.util.ArrayList<>();
    JsonArray array = json.getJsonArray("errors");
    if (array != null) {
      for (int i = 0; i < array.size(); i++) {
        JsonObject e = array.getJsonObject(i);
        errors.add(new FieldError(e.getString("field"), e.getString("message")));
      }
    }
    ApiException ex = new ApiException(json.getInteger("status", 500), json.getString("code", ErrorCodes.INTERNAL_ERROR),
      json.getString("detail", ""), errors);
    JsonObject headers = json.getJsonObject("headers");
    if (headers != null) {
      headers.forEach(e -> ex.withHeader(e.getKey(), String.valueOf(e.getValue())));
    }
    return ex;
  }

  // Factories for the codes every service uses.

  public static ApiException malformed(String detail) {
    return new ApiException(400, ErrorCodes.MALFORMED_REQUEST, detail);
  }

  public static ApiException validation(List<FieldError> errors) {
    return new ApiException(400, ErrorCodes.VALIDATION_FAILED, "The request has invalid fields.", errors);
  }

  public static ApiException validation(String field, String message) {
    return validation(List.of(new FieldError(field, message)));
  }

  public static ApiException invalidToken(String detail) {
    return new ApiException(401, ErrorCodes.INVALID_TOKEN, detail).withHeader("WWW-Authenticate", "Bearer");
  }

  public static ApiException invalidApiKey() {
    return new ApiException(401, ErrorCodes.INVALID_API_KEY, "A valid X-API-Key is required for this endpoint.");
  }

  public static ApiException forbidden(String detail) {
    return new ApiException(403, ErrorCodes.FORBIDDEN, detail);
  }

  public static ApiException notFound(String code, String detail) {
    return new ApiException(404, code, detail);
  }

  public static ApiException databaseUnavailable() {
    return new ApiException(503, ErrorCodes.DATABASE_UNAVAILABLE, "The database cannot be reached; try again shortly.")
      .withHeader("Retry-After", "2");
  }

  public static ApiException overloaded() {
    return new ApiException(503, ErrorCodes.OVERLOADED, "Too many password operations are queued; try again shortly.")
      .withHeader("Retry-After", "1");
  }

  public static ApiException unavailable(String code, String detail) {
    return new ApiException(503, code, detail).withHeader("Retry-After", "2");
  }
}
