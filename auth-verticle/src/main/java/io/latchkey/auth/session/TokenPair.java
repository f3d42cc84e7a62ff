package io.latchkey.auth.session;

import io.vertx.core.json.JsonObject;

/** The token pair response (schema TokenPair in openapi/auth-service.json). */
public record TokenPair(String accessToken, String refreshToken, long expiresIn, long refreshExpiresIn, String sessionId) {

  /**
   * {@link #toJson()} as JSON text, written directly: the tokens and the session id are base64url,
   * dots and UUID characters, which JSON needs no escape for, so the refresh path skips Jackson's
   * map serialisation (~5 % of a refresh in the profile, docs/BENCHMARKS.md). Anything else (never
   * seen) goes through {@link #toJson()}.
   */
  public String encode() {
    if (!plain(accessToken) || !plain(refreshToken) || !plain(sessionId)) {
      return toJson().encode();
    }
    return new StringBuilder(accessToken.length() + refreshToken.length() + 160)
      .append("{\"accessToken\":\"").append(accessToken)
      .append("\",\"refreshToken\":\"").append(refreshToken)
      .append("\",\"tokenType\":\"Bearer\",\"expiresIn\":").append(expiresIn)
      .append(",\"refreshExpiresIn\":").append(refreshExpiresIn)
      .append(",\"sessionId\":\"").append(sessionId).append("\"}").toString();
  }

  private static boolean plain(String value) {
    if (value == null) {
      return false;
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.')) {
        return false;
      }
    }
    return true;
  }

  public JsonObject toJson() {
    return new JsonObject()
      .put("accessToken", accessToken)
      .put("refreshToken", refreshToken)
      .put("tokenType", "Bearer")
      .put("expiresIn", expiresIn)
      .put("refreshExpiresIn", refreshExpiresIn)
      .put("sessionId", sessionId);
  }
}
