package io.latchkey.common;

import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * Typed reading of one service's configuration: a JSON file from {@code conf/}, each value
 * overridable by an environment variable. Typed holders (UserConfig, AuthConfig) are built on it.
 * Invalid values fail with an {@link IllegalArgumentException} that names the setting.
 */
public final class Settings {

  private final JsonObject json;
  private final Map<String, String> env;
  private final List<Lookup> lookups = Collections.synchronizedList(new ArrayList<>());

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

  /**
   * One setting a configuration holder read: its conf key, its environment variable and its
   * default (null: none). The holders state each default once, in their reading code; a test
   * holds {@code conf/*.json} and the README's table against these.
   */
  public record Lookup(String key, String envName, Object fallback) {
  }

  /** Every setting read through this object so far, in reading order. */
  public List<Lookup> lookups() {
    return List.copyOf(lookups);
  }

  public String string(String key, String envName, String fallback) {
    lookups.add(new Lookup(key, envName, fallback));
    String raw = raw(key, envName);
    return raw == null ? fallback : raw;
  }

  private String raw(String key, String envName) {
    String fromEnv = envName == null ? null : env.get(envName);
    if (fromEnv != null && !fromEnv.isBlank()) {
      return fromEnv.trim();
    }
    Object value = json.getValue(key);
    return value == null ? null : String.valueOf(value);
  }

  public int integer(String key, String envName, int fallback, int min, int max) {
    lookups.add(new Lookup(key, envName, fallback));
    String raw = raw(key, envName);
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
    lookups.add(new Lookup(key, envName, fallback));
    String raw = raw(key, envName);
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
    lookups.add(new Lookup(key, envName, fallback));
    String raw = raw(key, envName);
    if (raw == null) {
      return fallback;
    }
    return switch (raw.toLowerCase()) {
      case "true", "1", "yes", "on" -> true;
      case "false", "0", "no", "off" -> false;
      default -> throw new IllegalArgumentException("invalid setting " + name(key, envName) + "=" + raw + " (expected true or false)");
    };
  }

  /**
   * Stops the start when a setting that was replaced is still given, in the environment or the
   * conf file, instead of ignoring it silently: the message names what replaced it.
   */
  public void refuseReplaced(String key, String envName, String replacement) {
    String fromEnv = env.get(envName);
    if ((fromEnv != null && !fromEnv.isBlank()) || json.containsKey(key)) {
      throw new IllegalArgumentException("setting " + envName + " (" + key + ") was replaced: use " + replacement);
    }
  }

  private static String name(String key, String envName) {
    return envName != null ? envName : key;
  }
}
