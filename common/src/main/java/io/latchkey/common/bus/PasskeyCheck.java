package io.latchkey.common.bus;

import io.vertx.core.json.JsonObject;

import java.util.Locale;

/**
 * Request of {@code BusAddresses.USER_PASSKEY_CHECK}: the auth service, at {@code POST
 * /auth/passkey/login}, asks the user service whether {@code credential} (a WebAuthn assertion in
 * the JSON form {@code PublicKeyCredential.toJSON()} gives) is a valid assertion over
 * {@code challenge} by a passkey the user service holds. The user service verifies it (RP ID,
 * origins, user verification, signature, the signature counter) and records the new counter and
 * the time of use in the same conditional statement, so the same assertion cannot be accepted twice.
 *
 * @param challenge  the challenge the auth service issued and has just used up, base64url without padding
 * @param credential the assertion, as the browser sent it; never logged
 */
public record PasskeyCheck(String challenge, JsonObject credential) {

  /** What the user service answers. */
  public enum Result {
    /**
     * A valid assertion by a known passkey: {@code credentials} is its user's current state (a
     * disabled user is accepted here and refused by the auth service with 403 account_disabled).
     */
    ACCEPTED,
    /**
     * Not a valid assertion (unknown credential, bad signature, wrong challenge, origin or RP ID,
     * no user verification, a counter that went backwards). {@code userId} is set when the
     * credential is known (the refusal then counts against that account), {@code reason} says why
     * (for the audit trail and logs, never for the client).
     */
    REJECTED;

    public String wire() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static Result fromWire(String text) {
      for (Result r : values()) {
        if (r.wire().equals(text)) {
          return r;
        }
      }
      throw new IllegalArgumentException("unknown result: " + text);
    }
  }

  /**
   * The reply {@code {"result", "userId"?, "passkeyId"?, "reason"?, "credentials"?}}.
   *
   * @param userId    the user the credential belongs to (accepted; rejected when the credential is known)
   * @param passkeyId the passkey's id in the user service (accepted), for the audit trail
   * @param reason    why it was rejected: {@code unknown_credential}, {@code bad_signature},
   *                  {@code challenge_mismatch}, {@code origin_mismatch}, {@code rp_id_mismatch},
   *                  {@code user_not_verified}, {@code counter_regressed}, {@code malformed}
   */
  public record Answer(Result result, String userId, String passkeyId, String reason, Credentials credentials) {

    public Answer {
      if ((result == Result.ACCEPTED) != (credentials != null)) {
        throw new IllegalArgumentException("credentials come with an accepted answer, and only with it");
      }
    }

    public static Answer accepted(Credentials credentials, String passkeyId) {
      return new Answer(Result.ACCEPTED, credentials.userId(), passkeyId, null, credentials);
    }

    /** {@code userId}: null when no passkey of that credential id is known. */
    public static Answer rejected(String userId, String reason) {
      return new Answer(Result.REJECTED, userId, null, reason, null);
    }

    public JsonObject toJson() {
      JsonObject json = new JsonObject().put("result", result.wire());
      if (userId != null) {
        json.put("userId", userId);
      }
      if (passkeyId != null) {
        json.put("passkeyId", passkeyId);
      }
      if (reason != null) {
        json.put("reason", reason);
      }
      if (credentials != null) {
        json.put("credentials", credentials.toJson());
      }
      return json;
    }

    /** Throws IllegalArgumentException when the reply is not an answer. */
    public static Answer fromJson(JsonObject json) {
      JsonObject credentials = json.getJsonObject("credentials");
      return new Answer(Result.fromWire(json.getString("result")), json.getString("userId"), json.getString("passkeyId"),
        json.getString("reason"), credentials == null ? null : Credentials.fromJson(credentials));
    }
  }

  public JsonObject toJson() {
    return new JsonObject().put("challenge", challenge).put("credential", credential);
  }

  /** Throws IllegalArgumentException when a field is missing or of the wrong type. */
  public static PasskeyCheck fromJson(JsonObject json) {
    Object challenge = json.getValue("challenge");
    Object credential = json.getValue("credential");
    if (!(challenge instanceof String c) || !(credential instanceof JsonObject cred)) {
      throw new IllegalArgumentException("challenge must be a string, credential an object");
    }
    return new PasskeyCheck(c, cred);
  }

  /** Never prints the assertion. */
  @Override
  public String toString() {
    return "PasskeyCheck[credential id=" + (credential == null ? null : credential.getValue("id")) + "]";
  }
}
