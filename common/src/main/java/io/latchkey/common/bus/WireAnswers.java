package io.latchkey.common.bus;

import io.vertx.core.json.JsonObject;

import java.util.Locale;

/**
 * The shape the user service's checks answer in ({@link MfaCheck.Answer}, {@link PasswordRehash.Answer}):
 * {@code {"result": <enum name in lower case>, "credentials"?}}.
 */
final class WireAnswers {

  private WireAnswers() {
  }

  static String wire(Enum<?> value) {
    return value.name().toLowerCase(Locale.ROOT);
  }

  /** The constant whose {@link #wire} form is {@code text}; IllegalArgumentException for anything else. */
  static <E extends Enum<E>> E fromWire(Class<E> type, String text) {
    for (E value : type.getEnumConstants()) {
      if (wire(value).equals(text)) {
        return value;
      }
    }
    throw new IllegalArgumentException("unknown " + type.getSimpleName() + ": " + text);
  }

  static JsonObject toJson(Enum<?> result, Credentials credentials) {
    JsonObject json = new JsonObject().put("result", wire(result));
    if (credentials != null) {
      json.put("credentials", credentials.toJson());
    }
    return json;
  }

  /** The answer's credentials, null when it has none. */
  static Credentials credentials(JsonObject json) {
    JsonObject credentials = json.getJsonObject("credentials");
    return credentials == null ? null : Credentials.fromJson(credentials);
  }
}
