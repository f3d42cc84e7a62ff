package io.latchkey.common;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Typed reading of one service's configuration: a JSON file from {@code conf/}, each value
 * overridable by an environment variable. Typed holders (UserConfig, AuthConfig) are built on it.
 * Invalid values fail with an {@link IllegalArgumentException} that names the setting.
 */
public final class Settings {

  private final JsonObject json;
  private final Map<String, String> env;

  public Settings(JsonObject json, Map<String, String> env) {
    this.json = json == null ? new JsonObject() : json;
    this.env = env;
  }

  /** Reads {@code <confDir>/<name>.json}; a missing file means "all defaults". */
  public static Settings load(Path confDir, String name, Map<String, String> env) {
    Path file = confDir.resolve(name + ".json");
    JsonObject json = new JsonObject();
    if (Files.isRegularFile(file)) {
      try {
        json = new JsonObject(Files.readString(file));
      } catch (IOException | RuntimeException e) {
        throw new IllegalArgumentException("cannot read configuration file " + file + ": " + e.getMessage());
      }
    }
    return new Settings(json, env);
  }

  public Map<String, String> env() {
    return env;
  }

  public JsonObject json() {
    return json;
  }

  public String string(String key, String envName, String fallback) {
    String fromEnv = envName == null ? null : env.get(envName);
    if (fromEnv != null && !fromEnv.isBlank()) {
      return fromEnv.trim();
    }
    Object value = json.getValue(key);
    return value == null ? fallback : String.valueOf(value);
  }

  public int integer(String key, String envName, int fallback, int min, int max) {
    String raw = string(key, envName, null);
    if (raw == null) {
      return fallback;
    }
    try {
      int value = Integer.parseInt(raw);
      if (value < min || value > max) {
        throw new NumberFormatException();
      }
      return value;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("invalid setting " + name(key, envName) + "=" + raw + " (expected an integer from " + min + " to " + max + ")");
    }
  }

  public long longValue(String key, String envName, long fallback, long min, long max) {
    String raw = string(key, envName, null);
    if (raw == null) {
      return fallback;
    }
    try {
      long value = Long.parseLong(raw);
      if (value < min || value > max) {
        throw new NumberFormatException();
      }
      return value;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("invalid setting " + name(key, envName) + "=" + raw + " (expected an integer from " + min + " to " + max + ")");
    }
  }

  public boolean bool(String key, String envName, boolean fallback) {
    String raw = string(key, envName, null);
    if (raw == null) {
      return fallback;
    }
    return switch (raw.toLowerCase()) {
      case "true", "1", "yes", "on" -> true;
      case "false", "0", "no", "off" -> false;
      default -> throw new IllegalArgumentException("invalid setting " + name(key, envName) + "=" + raw + " (expected true or false)");
    };
  }

  private static String name(String key, String envName) {
    return envName != null ? envName : key;
  }
}
