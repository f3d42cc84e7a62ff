package io.latchkey.auth.http;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/**
 * The OpenAPI document the auth service serves at {@code GET /openapi.json}: {@value #MAIN}
 * (tokens, sessions, health, JWKS) merged with {@value #LOGIN_PART} (login, sync, cache admin,
 * written by the login side): its {@code paths} and {@code components} entries are added.
 */
public final class OpenApiDocument {

  public static final String MAIN = "openapi/auth-service.json";
  public static final String LOGIN_PART = "openapi/auth-login-part.json";

  private OpenApiDocument() {
  }

  /** Reads and merges the two files (blocking: call at start, off the event loop). */
  public static JsonObject load() {
    JsonObject document = read(MAIN, true);
    JsonObject part = read(LOGIN_PART, false);
    if (part != null) {
      merge(document, part, "paths");
      JsonObject components = part.getJsonObject("components");
      if (components != null) {
        JsonObject target = document.getJsonObject("components", new JsonObject());
        document.put("components", target);
        for (String kind : components.fieldNames()) {
          merge(target, components, kind);
        }
      }
    }
    return document;
  }

  private static void merge(JsonObject target, JsonObject source, String field) {
    JsonObject from = source.getJsonObject(field);
    if (from == null) {
      return;
    }
    JsonObject into = target.getJsonObject(field, new JsonObject());
    target.put(field, into);
    for (String key : from.fieldNames()) {
      Object value = from.getValue(key);
      if (into.getValue(key) instanceof JsonObject existing && value instanceof JsonObject extra) {
        // the same path in both files: operations of both
        existing.mergeIn(extra);
      } else {
        into.put(key, value);
      }
    }
  }

  private static JsonObject read(String resource, boolean required) {
    try (InputStream in = OpenApiDocument.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        if (required) {
          throw new IllegalStateException(resource + " is missing from the classpath");
        }
        return null;
      }
      return new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
