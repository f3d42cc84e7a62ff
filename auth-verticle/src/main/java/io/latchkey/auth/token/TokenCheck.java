package io.latchkey.auth.token;

import io.vertx.core.json.JsonObject;

/**
 * The outcome of validating an access token: its claims, or why it is not valid; for a token the
 * verified-token memory holds, its entry (whose answers are encoded once).
 */
public record TokenCheck(AccessClaims claims, Reason reason, VerifiedTokenMemory.Remembered remembered) {

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
    return new TokenCheck(claims, null, null);
  }

  static TokenCheck valid(VerifiedTokenMemory.Remembered remembered) {
    return new TokenCheck(remembered.claims(), null, remembered);
  }

  public static TokenCheck invalid(Reason reason) {
    return new TokenCheck(null, reason, null);
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

  /** {@link #toValidateJson()} encoded: a remembered token's from its memory entry, an invalid one's a constant. */
  public String validateBody() {
    if (!valid()) {
      return INVALID_ANSWERS[reason.ordinal()];
    }
    return remembered != null ? remembered.validateAnswer() : claims.toValidateJson().encode();
  }

  /** {@link #toIntrospectionJson()} encoded, as {@link #validateBody()}. */
  public String introspectionBody() {
    if (!valid()) {
      return INACTIVE_ANSWER;
    }
    return remembered != null ? remembered.introspectionAnswer() : claims.toIntrospectionJson().encode();
  }
}
