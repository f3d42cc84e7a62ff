package io.latchkey.user.auth;

import io.vertx.core.Future;

/**
 * Decides whether a bearer access token is valid right now. Succeeds with the caller it
 * belongs to; fails with {@code 401 invalid_token} when it is not valid, or
 * {@code 503 auth_service_unavailable} when that cannot be decided (never 401 then).
 */
public interface TokenVerifier {
  Future<Caller> verify(String token, String requestId);
}
