package io.latchkey.auth.http;

import io.latchkey.auth.login.LoginOutcomes;
import io.latchkey.auth.login.LoginResult;
import io.latchkey.auth.login.LoginService;
import io.latchkey.auth.login.MfaLoginService;
import io.latchkey.auth.login.PasskeyLoginService;
import io.latchkey.auth.session.TokenPair;
import io.latchkey.common.JsonBodies;
import io.latchkey.common.Replies;
import io.latchkey.common.RequestIds;
import io.latchkey.common.TrustedProxies;
import io.vertx.core.Future;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.Set;

/**
 * {@code POST /auth/login} {@code {"login", "password"}}: 200 token pair, or for a user with a
 * second factor 200 {@code {"mfaRequired": true, "mfaToken", "methods", "expiresIn"}};
 * {@code POST /auth/login/mfa} {@code {"mfaToken", "code"}} or {@code {"mfaToken", "recoveryCode"}}:
 * 200 token pair ({@link MfaLoginService}); {@code POST /auth/passkey/options} (no body or {@code {}}):
 * 200 request options; {@code POST /auth/passkey/login} {@code {"challengeId", "credential"}}: 200
 * token pair ({@link PasskeyLoginService}). The bodies are read by {@link LoginRequests}.
 */
public final class LoginRoutes {

  /** The longest passkey assertion taken, as JSON. */
  public static final int MAX_CREDENTIAL_LENGTH = LoginRequests.MAX_CREDENTIAL_LENGTH;

  private final LoginService logins;
  private final MfaLoginService mfaLogins;
  private final PasskeyLoginService passkeyLogins;
  private final TrustedProxies proxies;
  private final LoginRequests requests;
  private final LoginOutcomes outcomes;

  public LoginRoutes(LoginService logins, MfaLoginService mfaLogins, PasskeyLoginService passkeyLogins, TrustedProxies proxies,
                     LoginOutcomes outcomes) {
    this.logins = logins;
    this.mfaLogins = mfaLogins;
    this.passkeyLogins = passkeyLogins;
    this.proxies = proxies;
    this.requests = new LoginRequests(proxies);
    this.outcomes = outcomes;
  }

  public void mount(Router router) {
    router.post("/auth/login").handler(Replies.handle(ctx -> login(ctx).map(result -> Replies.json(ctx, 200, result.toJson()))));
    router.post("/auth/login/mfa").handler(Replies.handle(ctx -> loginMfa(ctx).map(pair -> Replies.json(ctx, 200, pair.encode()))));
    router.post("/auth/passkey/options").handler(Replies.handle(this::passkeyOptions));
    router.post("/auth/passkey/login").handler(Replies.handle(ctx -> passkeyLogin(ctx).map(pair -> Replies.json(ctx, 200, pair.encode()))));
  }

  /** No body, or {@code {}}. */
  private Future<Void> passkeyOptions(RoutingContext ctx) {
    JsonBodies.onlyFields(JsonBodies.objectOrEmpty(ctx), Set.of());
    return passkeyLogins.options(proxies.clientIp(ctx), RequestIds.of(ctx)).map(options -> Replies.json(ctx, 200, options));
  }

  /** A password login of this request's body, counted; the account page's session answers it its own way. */
  Future<LoginResult> login(RoutingContext ctx) {
    return outcomes.count(logins.login(requests.password(ctx)));
  }

  /** The second step of this request's body, counted. */
  Future<TokenPair> loginMfa(RoutingContext ctx) {
    return outcomes.count(mfaLogins.finish(requests.mfa(ctx)));
  }

  /** A passkey login of this request's body, counted. */
  Future<TokenPair> passkeyLogin(RoutingContext ctx) {
    return outcomes.count(passkeyLogins.login(requests.passkey(ctx)));
  }
}
