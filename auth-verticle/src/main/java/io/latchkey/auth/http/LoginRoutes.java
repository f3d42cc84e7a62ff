package io.latchkey.auth.http;

import io.latchkey.auth.login.LoginOutcomes;
import io.latchkey.auth.login.LoginService;
import io.latchkey.common.ApiException;
import io.latchkey.common.JsonBodies;
import io.latchkey.common.TrustedProxies;
import io.latchkey.common.Replies;
import io.latchkey.common.RequestIds;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code POST /auth/login} {@code {"login", "password"}}: 200 token pair.
 *
 * <p>A login or password with a control character or a lone surrogate is refused here with 400
 * {@code validation_failed} (read through {@link JsonBodies#string}, see
 * {@link io.latchkey.common.TextRules}) rather than treated as an unknown login: no user can have
 * such a login or password, so the answer reveals nothing about accounts, and it costs neither a
 * bcrypt verification nor a question to the user service (it is not counted either; there is
 * nothing to guess).
 */
public final class LoginRoutes {

  /** Longer than any username (32) or email (254) can be. */
  public static final int MAX_LOGIN_LENGTH = 320;
  private static final int MAX_USER_AGENT_LENGTH = 512;

  private final LoginService logins;
  private final TrustedProxies proxies;
  private final LoginOutcomes outcomes;

  public LoginRoutes(LoginService logins, TrustedProxies proxies, LoginOutcomes outcomes) {
    this.logins = logins;
    this.proxies = proxies;
    this.outcomes = outcomes;
  }

  public void mount(Router router) {
    router.post("/auth/login").handler(Replies.handle(this::login));
  }

  private Future<Void> login(RoutingContext ctx) {
    return outcomes.count(logins.login(parse(ctx))).map(pair -> Replies.json(ctx, 200, pair.toJson()));
  }

  private LoginService.Attempt parse(RoutingContext ctx) {
    JsonObject body = JsonBodies.object(ctx);
    JsonBodies.onlyFields(body, Set.of("login", "password"));
    String login = JsonBodies.string(body, "login");
    String password = JsonBodies.string(body, "password");
    List<ApiException.FieldError> errors = new ArrayList<>();
    if (login == null || login.isBlank()) {
      errors.add(new ApiException.FieldError("login", "Required: a username or an email."));
    } else if (login.length() > MAX_LOGIN_LENGTH) {
      errors.add(new ApiException.FieldError("login", "At most " + MAX_LOGIN_LENGTH + " characters."));
    }
    if (password == null || password.isEmpty()) {
      errors.add(new ApiException.FieldError("password", "Required."));
    }
    if (!errors.isEmpty()) {
      throw ApiException.validation(errors);
    }
    String userAgent = ctx.request().getHeader("User-Agent");
    if (userAgent != null && userAgent.length() > MAX_USER_AGENT_LENGTH) {
      userAgent = userAgent.substring(0, MAX_USER_AGENT_LENGTH);
    }
    return new LoginService.Attempt(login, password, proxies.clientIp(ctx), userAgent, RequestIds.of(ctx));
  }
}
