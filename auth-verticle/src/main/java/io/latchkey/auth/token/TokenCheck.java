package io.latchkey.auth.token;

import io.vertx.core.json.JsonObject;

/** The outcome of validating an access token: its claims, or why it is not valid. */
public record TokenCheck(AccessClaims claims, Reason reason) {

  /** The {@code reason} values of the validate-token answer. */
  public enum Reason {
    MALFORMED("malformed"),
    INVALID_SIGNATURE("invalid_signature"),
    UNKNOWN_KEY("unknown_key"),
    EXPIRED("expired"),
    REVOKED("revoked");

    private final String wire;

    Reason(String wire) {
      this.wire = wire;
    }

    public String wire() {
      return wire;
    }
  }

  private static final String[] INVALID_ANSWERS = new String[Reason.values().length];
  private static final String INACTIVE_ANSWER = new JsonObject().put("active", false).encode();

  static {
    for (Reason reason : Reason.values()) {
      INVALID_ANSWERS[reason.ordinal()] = new JsonObject().put("valid", false).put("reason", reason.wire()).encode();
    }
  }

  public static TokenCheck valid(AccessClaims claims) {
    return new TokenCheck(claims, null);
  }

  public static TokenCheck invalid(Reason reason) {
    return new TokenCheck(null, reason);
  }

  public boolean valid() {
    return claims != null;
  }

  /** The validate-token answer's body. */
  public JsonObject toValidateJson() {
    return valid() ? claims.toValidateJson() : new JsonObject().put("valid", false).put("reason", reason.wire());
  }

  /** RFC 7662's body: exactly {@code {"active": false}} when not valid. */
  public JsonObject toIntrospectionJson() {
    return valid() ? claims.toIntrospectionJson() : new JsonObject().put("active", false);
  }

  /** {@link #toValidateJson()} as JSON text: a valid token's written by Jackson's generator, an invalid one's a constant. */
  public String validateBody() {
    return valid() ? claims.validateJsonText() : INVALID_ANSWERS[reason.ordinal()];
  }

  /** {@link #toIntrospectionJson()} as JSON text, as {@link #validateBody()}. */
  public String introspectionBody() {
    return valid() ? claims.introspectionJsonText() : INACTIVE_ANSWER;
  }
}
