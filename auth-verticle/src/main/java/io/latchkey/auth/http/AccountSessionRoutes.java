package io.latchkey.auth.http;

import io.latchkey.auth.login.LoginResult;
import io.latchkey.auth.session.SessionService;
import io.latchkey.auth.session.TokenPair;
import io.latchkey.common.ApiException;
import io.latchkey.common.ErrorCodes;
import io.latchkey.common.JsonBodies;
import io.latchkey.common.Replies;
import io.latchkey.common.RequestIds;
import io.latchkey.common.TrustedProxies;
import io.vertx.core.Future;
import io.vertx.core.http.Cookie;
import io.vertx.core.http.CookieSameSite;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.Function;

/**
 * The account page's own session: the same logins as {@code /auth/...}, but the refresh token
 * travels only in a cookie the page's JavaScript cannot read ({@code HttpOnly}), sent only over
 * HTTPS or loopback ({@code Secure}), only by requests the page itself makes ({@code
 * SameSite=Strict}) and only to these routes ({@code Path=.../account/session}). The page keeps
 * the access token in memory and gets a new one from {@code POST /account/session/refresh}, also
 * after a reload.
 *
 * <ul>
 *   <li>{@code POST /account/session/login}, {@code .../login/mfa}, {@code .../passkey}: the bodies
 *       and errors of {@code /auth/login}, {@code /auth/login/mfa}, {@code /auth/passkey/login};
 *       200 {@code {"accessToken", "tokenType", "expiresIn", "sessionId"}} with the cookie set, or
 *       the second-factor challenge of a password login as {@code /auth/login} gives it</li>
 *   <li>{@code POST /account/session/refresh}: the cookie's token rotated, the same 200 answer
 *       with the new cookie; 401 {@code invalid_refresh_token} (also without a cookie) and the
 *       cookie cleared</li>
 *   <li>{@code POST /account/session/logout}: the cookie's session ended (when there is one), the
 *       cookie cleared, 204</li>
 * </ul>
 *
 * <p>Against cross-site request forgery, beside {@code SameSite=Strict}: every route refuses with
 * 403 a request whose {@code Origin} header is missing, repeated or not the page's (its home, the
 * first of WEBAUTHN_ORIGINS; the public URL's origin; or the origin of the request's own Host),
 * which a browser always sends once with a POST and a page elsewhere cannot forge; and each takes only JSON or no body, which a form elsewhere
 * cannot send without a CORS preflight this service never grants.
 */
public final class AccountSessionRoutes {

  /** The refresh token's cookie. */
  public static final String COOKIE = "latchkey_refresh";

  private final LoginRoutes logins;
  private final SessionService sessions;
  private final TrustedProxies proxies;
  private final String cookiePath;
  private final String homeOrigin;
  private final String publicOrigin;

  /**
   * @param publicUrl  the auth service's public URL (PUBLIC_URL): its path prefixes the cookie's
   * @param homeOrigin the page's home (the first of WEBAUTHN_ORIGINS), where it moves when opened at an IP address
   */
  public AccountSessionRoutes(LoginRoutes logins, SessionService sessions, TrustedProxies proxies, String publicUrl,
                              String homeOrigin) {
    this.logins = logins;
    this.sessions = sessions;
    this.proxies = proxies;
    this.cookiePath = AccountPage.path(publicUrl) + "/account/session";
    this.homeOrigin = AccountPage.origin(homeOrigin);
    this.publicOrigin = AccountPage.origin(publicUrl);
  }

  public void mount(Router router) {
    router.post("/account/session/login").handler(guarded(ctx -> logins.login(ctx).map(result ->
      result instanceof LoginResult.Tokens tokens ? signedIn(ctx, tokens.pair()) : Replies.json(ctx, 200, result.toJson()))));
    router.post("/account/session/login/mfa").handler(guarded(ctx -> logins.loginMfa(ctx).map(pair -> signedIn(ctx, pair))));
    router.post("/account/session/passkey").handler(guarded(ctx -> logins.passkeyLogin(ctx).map(pair -> signedIn(ctx, pair))));
    router.post("/account/session/refresh").handler(guarded(this::refresh));
    router.post("/account/session/logout").handler(guarded(this::logout));
  }

  /** The action, for requests the page made: Origin checked first. */
  private io.vertx.core.Handler<RoutingContext> guarded(Function<RoutingContext, Future<?>> action) {
    return Replies.handle(ctx -> {
      requireOwnOrigin(ctx);
      return action.apply(ctx);
    });
  }

  private Future<Void> refresh(RoutingContext ctx) {
    JsonBodies.onlyFields(JsonBodies.objectOrEmpty(ctx), Set.of());
    Cookie cookie = ctx.request().getCookie(COOKIE);
    if (cookie == null || cookie.getValue().isEmpty()) {
      clear(ctx);
      return Future.failedFuture(new ApiException(401, ErrorCodes.INVALID_REFRESH_TOKEN,
        "No session of the account page: sign in first."));
    }
    return sessions.refresh(cookie.getValue(), RequestIds.of(ctx), () -> Audits.anonymous(ctx, proxies))
      .map(pair -> signedIn(ctx, pair))
      .onFailure(err -> {
        // a token that no longer works is dropped, so that the page stops presenting it; an outage keeps it
        if (err instanceof ApiException e && e.status() == 401) {
          clear(ctx);
        }
      });
  }

  private Future<Void> logout(RoutingContext ctx) {
    JsonBodies.onlyFields(JsonBodies.objectOrEmpty(ctx), Set.of());
    Cookie cookie = ctx.request().getCookie(COOKIE);
    Future<Boolean> ending = cookie == null || cookie.getValue().isEmpty() ? Future.succeededFuture(false)
      : sessions.revokeByToken(cookie.getValue(), Audits.anonymous(ctx, proxies));
    return ending.map(ended -> {
      clear(ctx);
      return Replies.noContent(ctx);
    });
  }

  /** The access token in the body, the refresh token in the cookie only. */
  private Void signedIn(RoutingContext ctx, TokenPair pair) {
    ctx.response().addCookie(cookie(pair.refreshToken(), pair.refreshExpiresIn()));
    return Replies.json(ctx, 200, new JsonObject()
      .put("accessToken", pair.accessToken())
      .put("tokenType", "Bearer")
      .put("expiresIn", pair.expiresIn())
      .put("sessionId", pair.sessionId()));
  }

  private void clear(RoutingContext ctx) {
    ctx.response().addCookie(cookie("", 0));
  }

  private Cookie cookie(String value, long maxAgeSeconds) {
    return Cookie.cookie(COOKIE, value)
      .setPath(cookiePath)
      .setHttpOnly(true)
      .setSecure(true)
      .setSameSite(CookieSameSite.STRICT)
      .setMaxAge(maxAgeSeconds);
  }

  /**
   * The one Origin a browser sends with every POST: the page's home, the public URL's origin, or
   * this request's own (its Host, over either scheme: a TLS-terminating balancer may hide which
   * one the browser used).
   */
  private void requireOwnOrigin(RoutingContext ctx) {
    List<String> origins = ctx.request().headers().getAll("Origin");
    if (origins.size() == 1) {
      String o = origins.get(0).toLowerCase(Locale.ROOT);
      String host = ctx.request().getHeader("Host");
      if (o.equals(homeOrigin) || o.equals(publicOrigin) || host != null && (o.equals("http://" + host.toLowerCase(Locale.ROOT))
        || o.equals("https://" + host.toLowerCase(Locale.ROOT)))) {
        return;
      }
    }
    throw ApiException.forbidden("The account page's session takes requests from the account page only (one Origin header: "
      + homeOrigin + ").");
  }
}
