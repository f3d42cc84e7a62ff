package io.latchkey.user.auth;

import io.latchkey.common.ApiException;
import io.latchkey.common.ApiKeyHeader;
import io.latchkey.common.ApiKeys;
import io.latchkey.common.AuthorizationHeader;
import io.latchkey.common.RequestIds;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;

import java.util.UUID;

/**
 * The credential rules of this service ("who may call" in openapi/user-service.json):
 * <ul>
 *   <li>X-API-Key endpoints: a full internal key, else 401 invalid_api_key (a validate-only key
 *   or a bearer token does not do);</li>
 *   <li>"the user, admin" endpoints: when an X-API-Key is sent it is checked first (a wrong one
 *   is 401 invalid_api_key, whatever token comes with it) and a full key is admin; otherwise the
 *   bearer token decides (missing or invalid: 401 invalid_token).</li>
 * </ul>
 * Two {@code X-API-Key} header lines are refused (401 invalid_api_key), see {@link ApiKeyHeader}.
 */
public final class Authorizer {

  public static final String API_KEY_HEADER = ApiKeyHeader.NAME;

  private final ApiKeys keys;
  private final TokenVerifier tokens;

  public Authorizer(ApiKeys keys, TokenVerifier tokens) {
    this.keys = keys;
    this.tokens = tokens;
  }

  /** X-API-Key endpoints. */
  public Future<Caller> requireApiKey(RoutingContext ctx) {
    ApiKeyHeader.Presented presented = ApiKeyHeader.of(ctx.request());
    if (presented.repeated() || !keys.isFull(presented.key())) {
      return Future.failedFuture(ApiException.invalidApiKey());
    }
    return Future.succeededFuture(Caller.apiKey(ApiKeys.fingerprint(presented.key())));
  }

  /** Endpoints open to a key holder or a bearer token. */
  public Future<Caller> authenticate(RoutingContext ctx) {
    if (ApiKeyHeader.of(ctx.request()).sent()) {
      return requireApiKey(ctx);
    }
    AuthorizationHeader.Presented presented = AuthorizationHeader.of(ctx.request());
    if (presented.repeated()) {
      return Future.failedFuture(ApiException.invalidToken("Send one Authorization header."));
    }
    String authorization = presented.value();
    if (authorization == null || authorization.isBlank()) {
      return Future.failedFuture(ApiException.invalidToken("A bearer access token is required."));
    }
    String token = AuthorizationHeader.bearerToken(authorization);
    if (token == null) {
      return Future.failedFuture(ApiException.invalidToken("The Authorization header must be 'Bearer <accessToken>'."));
    }
    if (token.length() > 8192) {
      return Future.failedFuture(ApiException.invalidToken("The access token is malformed."));
    }
    return tokens.verify(token, RequestIds.of(ctx));
  }

  /** "the user, admin": 403 forbidden for another user's id. */
  public Future<Caller> authenticateFor(RoutingContext ctx, UUID targetId) {
    return authenticate(ctx).compose(caller -> caller.mayActOn(targetId)
      ? Future.succeededFuture(caller)
      : Future.failedFuture(ApiException.forbidden("You may only act on your own account.")));
  }

  /** admin only: 403 forbidden for a user without the admin role. */
  public Future<Caller> requireAdmin(RoutingContext ctx) {
    return authenticate(ctx).compose(caller -> caller.admin()
      ? Future.succeededFuture(caller)
      : Future.failedFuture(ApiException.forbidden("This endpoint is for administrators.")));
  }
}
