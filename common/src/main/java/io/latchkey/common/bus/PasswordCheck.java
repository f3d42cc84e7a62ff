package io.latchkey.common.bus;

import io.vertx.core.json.JsonObject;

import java.util.Locale;

/**
 * Request of {@code BusAddresses.AUTH_PASSWORD_CHECK}: one step of a password check the user
 * service makes outside a login (the current password of a change), counted by the auth service
 * against the account exactly like a login. Reply {@code {"ok": true}}.
 *
 * @param userId the account whose password is checked
 * @param step   {@code reserve} before the check (refused with 429 while locked); then
 *               {@code failed} (wrong password: the attempt stays counted and may lock the
 *               account), {@code succeeded} (resets the count) or {@code released} (the check
 *               could not be made, for example bcrypt overloaded: the attempt is given back)
 */
public record PasswordCheck(String userId, Step step) {

  public enum Step {
    RESERVE, FAILED, SUCCEEDED, RELEASED;

    public String wire() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static Step fromWire(String text) {
      for (Step s : values()) {
        if (s.wire().equals(text)) {
          return s;
        }
      }
      throw new IllegalArgumentException("unknown step: " + text);
    }
  }

  public JsonObject toJson() {
    return new JsonObject().put("userId", userId).put("step", step.wire());
  }

  /** Throws IllegalArgumentException when a field is missing or unknown. */
  public static PasswordCheck fromJson(JsonObject json) {
    Object userId = json.getValue("userId");
    Object step = json.getValue("step");
    if (!(userId instanceof String id) || !(step instanceof String s)) {
      throw new IllegalArgumentException("userId and step must be strings");
    }
    return new PasswordCheck(id, Step.fromWire(s));
  }
}
