package io.latchkey.auth.session;

import io.vertx.core.json.JsonObject;

/** The token pair response (schema TokenPair in openapi/auth-service.json). */
public record TokenPair(String accessToken, String refreshToken, long expiresIn, long refreshExpiresIn, String sessionId) {

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
