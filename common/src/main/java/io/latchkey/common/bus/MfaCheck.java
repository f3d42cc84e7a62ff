package io.latchkey.common.bus;

import io.vertx.core.json.JsonObject;

/**
 * Request of {@code BusAddresses.USER_MFA_CHECK}: the auth service, at the second step of a
 * login, asks the user service whether {@code code} is a good second factor for {@code userId}.
 * The user service decides on its own durable state and uses the code up in the same statement
 * (a TOTP step is accepted once per user, across every user node; a recovery code once), so two
 * racing checks of one code give one {@link Result#ACCEPTED}.
 *
 * @param userId          the account
 * @param passwordVersion the password version the first step was checked against: a different
 *                        current version answers {@link Result#STALE}
 * @param method          which kind of code
 * @param code            what the person typed (six digits, or a recovery code); never logged
 */
public record MfaCheck(String userId, long passwordVersion, Method method, String code) {

  public enum Method {
    TOTP("totp"),
    RECOVERY_CODE("recovery_code");

    private final String wire;

    Method(String wire) {
      this.wire = wire;
    }

    public String wire() {
      return wire;
    }

    public static Method fromWire(String text) {
      for (Method m : values()) {
        if (m.wire.equals(text)) {
          return m;
        }
      }
      throw new IllegalArgumentException("unknown method: " + text);
    }
  }

  /** What the user service answers. */
  public enum Result {
    /** The code is right and is now used up: the login may finish ({@code credentials} is the user's current state). */
    ACCEPTED,
    /** Wrong, replayed or already used: counts as a wrong code. */
    REJECTED,
    /**
     * The first step no longer holds: the user is gone or disabled, the password changed since,
     * or the factor was removed. The login cannot finish; the challenge is dead.
     */
    STALE;

    public String wire() {
      return WireAnswers.wire(this);
    }

    public static Result fromWire(String text) {
      return WireAnswers.fromWire(Result.class, text);
    }
  }

  /**
   * The reply: {@code {"result"}}, with {@code "credentials"} (as {@code USER_CREDENTIALS}
   * answers) when accepted, so the session opens on the state the check was made against.
   */
  public record Answer(Result result, Credentials credentials) {

    public Answer {
      if ((result == Result.ACCEPTED) != (credentials != null)) {
        throw new IllegalArgumentException("credentials come with an accepted answer, and only with it");
      }
    }

    public static Answer accepted(Credentials credentials) {
      return new Answer(Result.ACCEPTED, credentials);
    }

    public static Answer rejected() {
      return new Answer(Result.REJECTED, null);
    }

    public static Answer stale() {
      return new Answer(Result.STALE, null);
    }

    public JsonObject toJson() {
      return WireAnswers.toJson(result, credentials);
    }

    /** Throws IllegalArgumentException when the reply is not an answer. */
    public static Answer fromJson(JsonObject json) {
      return new Answer(Result.fromWire(json.getString("result")), WireAnswers.credentials(json));
    }
  }

  public JsonObject toJson() {
    return new JsonObject()
      .put("userId", userId)
      .put("passwordVersion", passwordVersion)
      .put("method", method.wire())
      .put("code", code);
  }

  /** Throws IllegalArgumentException when a field is missing or of the wrong type. */
  public static MfaCheck fromJson(JsonObject json) {
    Object userId = json.getValue("userId");
    Object version = json.getValue("passwordVersion");
    Object method = json.getValue("method");
    Object code = json.getValue("code");
    if (!(userId instanceof String id) || !(version instanceof Number v) || !(method instanceof String m)
      || !(code instanceof String c)) {
      throw new IllegalArgumentException("userId, method and code must be strings, passwordVersion a number");
    }
    return new MfaCheck(id, v.longValue(), Method.fromWire(m), c);
  }

  /** Never prints the code. */
  @Override
  public String toString() {
    return "MfaCheck[userId=" + userId + ", passwordVersion=" + passwordVersion + ", method=" + method.wire() + "]";
  }
}
