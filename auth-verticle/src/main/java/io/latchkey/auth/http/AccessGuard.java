package io.latchkey.auth.http;

import io.latchkey.auth.token.AccessClaims;
import io.latchkey.auth.token.TokenCheck;
import io.latchkey.auth.token.TokenValidator;
import io.latchkey.common.ApiException;
import io.latchkey.common.ApiKeyHeader;
import io.latchkey.common.ApiKeys;
import io.latchkey.common.AuthorizationHeader;
import io.latchkey.common.ErrorCodes;
import io.latchkey.common.RequestIds;
import io.vertx.core.Future;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;

/**
 * The "who may call" rules of the auth service: full keys, validate-only keys,
 * bearer tokens and admin. When an X-API-Key is sent it is checked first and decides alone (a
 * bearer token never replaces a key). Two X-API-Key header lines are refused (401
 * invalid_api_key), see {@link ApiKeyHeader}.
 */
public final class AccessGuard implements RequestGuard {

  private static final Logger LOG = LoggerFactory.getLogger(AccessGuard.class);
  public static final String API_KEY_HEADER = ApiKeyHeader.NAME;
  /** Routing-context key of the verified claims of the request's bearer token. */
  public static final String CLAIMS = "accessClaims";

  private final ApiKeys keys;
  private final TokenValidator validator;

  public AccessGuard(ApiKeys keys, TokenValidator validator) {
    this.keys = keys;
    this.validator = validator;
  }

  @Override
  public Future<Void> requireAdmin(RoutingContext ctx) {
    ApiKeyHeader.Presented presented = ApiKeyHeader.of(ctx.request());
    if (presented.sent()) {
      return !presented.repeated() && keys.isFull(presented.key()) ? Future.succeededFuture() : refuseKey(ctx, presented);
    }
    return requireBearer(ctx).compose(claims -> claims.hasRole("admin")
      ? Future.succeededFuture()
      : Future.failedFuture(ApiException.forbidden("This endpoint is for administrators.")));
  }

  @Override
  public Future<Void> requireFullKey(RoutingContext ctx) {
    ApiKeyHeader.Presented presented = ApiKeyHeader.of(ctx.request());
    return !presented.repeated() && keys.isFull(presented.key()) ? Future.succeededFuture() : refuseKey(ctx, presented);
  }

  /** A full key or a validate-only key (validate-token, introspect). */
  public Future<Void> requireValidateKey(RoutingContext ctx) {
    ApiKeyHeader.Presented presented = ApiKeyHeader.of(ctx.request());
    return !presented.repeated() && keys.canValidate(presented.key()) ? Future.succeededFuture() : refuseKey(ctx, presented);
  }

  /**
   * POST /auth/introspect: a full or validate-only key, in X-API-Key or, as stock RFC 7662 clients
   * send it, as the secret of {@code Authorization: Basic} with any client id. An X-API-Key, when
   * sent, is checked first and decides alone. Every refusal is 401 {@code invalid_api_key} with
   * the Basic challenge (RFC 7235: a 401 names the scheme that would do).
   */
  public Future<Void> requireIntrospectionClient(RoutingContext ctx) {
    if (ApiKeyHeader.of(ctx.request()).sent()) {
      return requireValidateKey(ctx).recover(err -> Future.failedFuture(introspectionRefused()));
    }
    AuthorizationHeader.Presented authorization = AuthorizationHeader.of(ctx.request());
    List<String> secrets = authorization.repeated() ? List.of() : BasicCredentials.secrets(authorization.value());
    boolean accepted = false;
    for (String secret : secrets) {
      accepted |= keys.canValidate(secret);
    }
    if (accepted) {
      return Future.succeededFuture();
    }
    if (authorization.repeated()) {
      LOG.info("[{}] two Authorization headers refused for {} {}", RequestIds.of(ctx), ctx.request().method(), ctx.request().path());
    } else if (!secrets.isEmpty()) {
      LOG.info("[{}] Basic credentials with {} refused for {} {}", RequestIds.of(ctx), ApiKeys.fingerprint(secrets.get(0)),
        ctx.request().method(), ctx.request().path());
    } else if (BasicCredentials.isBasic(authorization.value())) {
      LOG.info("[{}] malformed Basic credentials refused for {} {}", RequestIds.of(ctx), ctx.request().method(), ctx.request().path());
    }
    return Future.failedFuture(introspectionRefused());
  }

  private static ApiException introspectionRefused() {
    return new ApiException(401, ErrorCodes.INVALID_API_KEY,
      "A valid key is required: X-API-Key, or Authorization: Basic with any client id and the key as the secret.")
      .withHeader("WWW-Authenticate", BasicCredentials.CHALLENGE);
  }

  /** A valid access token in {@code Authorization: Bearer}; its claims, also stored under {@link #CLAIMS}. */
  public Future<AccessClaims> requireBearer(RoutingContext ctx) {
    AuthorizationHeader.Presented authorization = AuthorizationHeader.of(ctx.request());
    if (authorization.repeated()) {
      return Future.failedFuture(ApiException.invalidToken("Send one Authorization header."));
    }
    String token = AuthorizationHeader.bearerToken(authorization.value());
    if (token == null) {
      return Future.failedFuture(ApiException.invalidToken("An access token is required (Authorization: Bearer)."));
    }
    TokenCheck check = validator.validate(token);
    if (!check.valid()) {
      LOG.info("[{}] bearer token refused: {}", RequestIds.of(ctx), check.reason().wire());
      return Future.failedFuture(ApiException.invalidToken("The access token is not valid (" + check.reason().wire() + ")."));
    }
    ctx.put(CLAIMS, check.claims());
    return Future.succeededFuture(check.claims());
  }

  /** True when the request carries an Authorization header at all. */
  public static boolean sendsAuthorization(RoutingContext ctx) {
    return AuthorizationHeader.of(ctx.request()).sent();
  }

  private Future<Void> refuseKey(RoutingContext ctx, ApiKeyHeader.Presented presented) {
    if (presented.repeated()) {
      LOG.info("[{}] two X-API-Key headers refused for {} {}", RequestIds.of(ctx), ctx.request().method(), ctx.request().path());
    } else if (presented.key() != null && !presented.key().isEmpty()) {
      LOG.info("[{}] {} refused for {} {}", RequestIds.of(ctx), ApiKeys.fingerprint(presented.key()), ctx.request().method(), ctx.request().path());
    }
    return Future.failedFuture(ApiException.invalidApiKey());
  }
}
