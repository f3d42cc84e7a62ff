package io.latchkey.auth.http;

import io.latchkey.auth.session.SessionService;
import io.latchkey.auth.token.TokenValidator;
import io.latchkey.common.ApiException;
import io.latchkey.common.ErrorCodes;
import io.latchkey.common.JsonBodies;
import io.latchkey.common.Replies;
import io.latchkey.common.RequestIds;
import io.latchkey.common.TrustedProxies;
import io.vertx.core.Future;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;

/** HTTP of tokens: refresh, logout, logout-all, revoke (RFC 7009), validate-token, introspect, JWKS. */
public final class TokenRoutes {

  private final SessionService sessions;
  private final TokenValidator validator;
  private final AccessGuard guard;
  private final String jwks;
  private final TrustedProxies proxies;

  public TokenRoutes(SessionService sessions, TokenValidator validator, AccessGuard guard, String jwks, TrustedProxies proxies) {
    this.proxies = proxies;
    this.sessions = sessions;
    this.validator = validator;
    this.guard = guard;
    this.jwks = jwks;
  }

  public void mount(Router router) {
    router.post("/auth/refresh").handler(Replies.handle(this::refresh));
    router.post("/auth/logout").handler(Replies.handle(this::logout));
    router.post("/auth/logout-all").handler(Replies.handle(this::logoutAll));
    router.post("/auth/revoke").handler(Replies.handle(this::revoke));
    router.post("/auth/validate-token").handler(Replies.handle(this::validateToken));
    router.post("/auth/introspect").handler(Replies.handle(this::introspect));
    router.get("/.well-known/jwks.json").handler(ctx -> Replies.publicJson(ctx, jwks));
  }

  private Future<Void> refresh(RoutingContext ctx) {
    String refreshToken = required(JsonBodies.onlyString(ctx, "refreshToken"), "refreshToken", "The refresh token is required.");
    return sessions.refresh(refreshToken, RequestIds.of(ctx), () -> Audits.anonymous(ctx, proxies))
      .map(pair -> Replies.json(ctx, 200, pair.encode()));
  }

  /** Bearer: that token's session. Without an Authorization header: the session of body {"refreshToken"}. */
  private Future<Void> logout(RoutingContext ctx) {
    if (AccessGuard.sendsAuthorization(ctx)) {
      return guard.requireBearer(ctx)
        .compose(claims -> sessions.logoutSession(claims.sessionId(), claims.userId(), Audits.of(ctx, proxies, claims)))
        .map(v -> Replies.noContent(ctx));
    }
    String refreshToken = refreshTokenField(JsonBodies.objectOrEmpty(ctx));
    if (refreshToken == null) {
      throw ApiException.invalidToken("Send an access token (Authorization: Bearer) or a body {\"refreshToken\"}.");
    }
    return sessions.logoutByRefreshToken(refreshToken, Audits.anonymous(ctx, proxies)).map(v -> Replies.noContent(ctx));
  }

  private Future<Void> logoutAll(RoutingContext ctx) {
    return guard.requireBearer(ctx)
      .compose(claims -> sessions.logoutAll(claims.userId(), Audits.of(ctx, proxies, claims)))
      .map(n -> Replies.json(ctx, 200, new JsonObject().put("revokedSessions", n)));
  }

  /**
   * RFC 7009: no client authentication (public clients; the token is the proof). 200 with an
   * empty body whether or not the token ended a session, so the answer tells nothing about the
   * token; 400 {@code invalid_request} for a request that is not a revocation request.
   */
  private Future<Void> revoke(RoutingContext ctx) {
    String token = revokedToken(ctx);
    return sessions.revokeByToken(token, Audits.anonymous(ctx, proxies)).map(ended -> {
      ctx.response().setStatusCode(200).putHeader("Cache-Control", "no-store").putHeader("Pragma", "no-cache").end();
      return null;
    });
  }

  /**
   * The token of a revocation request: a strict form body (RFC 7009 section 2.1) with one
   * {@code token} and at most one {@code token_type_hint}, whose value is only a hint (the token
   * is looked for as every kind anyway). Anything else is 400 {@code invalid_request}, RFC 6749
   * section 5.2's answer to a missing, repeated or malformed parameter, also for a body of another
   * media type (its token is missing as far as OAuth is concerned; a 415 would carry no OAuth code).
   */
  private static String revokedToken(RoutingContext ctx) {
    if (!isForm(ctx)) {
      throw invalidRequest("Send the token as a form body (Content-Type: application/x-www-form-urlencoded): token=...");
    }
    Buffer body = ctx.body().buffer();
    IntrospectForm.Request request;
    try {
      request = IntrospectForm.read(body == null ? null : body.toString(StandardCharsets.UTF_8));
    } catch (IntrospectForm.Refused refused) {
      throw invalidRequest(refused.getMessage());
    }
    if (request.hintRepeated()) {
      throw invalidRequest("Send at most one token_type_hint.");
    }
    if (request.token() == null || request.token().isEmpty()) {
      throw invalidRequest("The token to revoke is required (form parameter token).");
    }
    return request.token();
  }

  private static ApiException invalidRequest(String detail) {
    return new ApiException(400, ErrorCodes.INVALID_REQUEST, detail);
  }

  private static boolean isForm(RoutingContext ctx) {
    String contentType = ctx.request().getHeader("Content-Type");
    return contentType != null && contentType.toLowerCase(Locale.ROOT).startsWith("application/x-www-form-urlencoded");
  }

  private Future<Void> validateToken(RoutingContext ctx) {
    return guard.requireValidateKey(ctx)
      .map(v -> Replies.json(ctx, 200, validator.validate(tokenField(ctx)).validateBody()));
  }

  /**
   * RFC 7662: a form body {@code token=...} (and an ignored {@code token_type_hint}), or a JSON
   * body {@code {"token"}}; the key in X-API-Key or as the secret of {@code Authorization: Basic}.
   */
  private Future<Void> introspect(RoutingContext ctx) {
    return guard.requireIntrospectionClient(ctx)
      .map(v -> Replies.json(ctx, 200, validator.validate(introspectedToken(ctx)).introspectionBody()));
  }

  private static String introspectedToken(RoutingContext ctx) {
    if (isForm(ctx)) {
      Buffer body = ctx.body().buffer();
      return IntrospectForm.token(body == null ? null : body.toString(StandardCharsets.UTF_8));
    }
    JsonObject body = JsonBodies.object(ctx);
    JsonBodies.onlyFields(body, Set.of("token", "token_type_hint"));
    JsonBodies.string(body, "token_type_hint");
    return required(JsonBodies.string(body, "token"), "token", "The token to introspect is required.");
  }

  private static String tokenField(RoutingContext ctx) {
    return required(JsonBodies.onlyString(ctx, "token"), "token", "The token to validate is required.");
  }

  private static String refreshTokenField(JsonObject body) {
    JsonBodies.onlyFields(body, Set.of("refreshToken"));
    return JsonBodies.string(body, "refreshToken");
  }

  private static String required(String value, String field, String message) {
    if (value == null || value.isEmpty()) {
      throw ApiException.validation(field, message);
    }
    return value;
  }
}
