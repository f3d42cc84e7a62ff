package io.latchkey.auth.http;

import io.latchkey.auth.login.LoginOutcomes;
import io.latchkey.auth.login.LoginService;
import io.latchkey.auth.login.MfaLoginService;
import io.latchkey.auth.session.MfaChallenges;
import io.latchkey.common.ApiException;
import io.latchkey.common.JsonBodies;
import io.latchkey.common.TrustedProxies;
import io.latchkey.common.Replies;
import io.latchkey.common.RequestIds;
import io.latchkey.common.bus.MfaCheck;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * {@code POST /auth/login} {@code {"login", "password"}}: 200 token pair, or for a user with a
 * second factor 200 {@code {"mfaRequired": true, "mfaToken", "methods", "expiresIn"}};
 * {@code POST /auth/login/mfa} {@code {"mfaToken", "code"}} or {@code {"mfaToken", "recoveryCode"}}:
 * 200 token pair ({@link MfaLoginService}).
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
  /** A TOTP code is 6 digits; some room for spaces an app shows, no room for anything else. */
  public static final int MAX_CODE_LENGTH = 16;
  /** Longer than any recovery code the user service issues. */
  public static final int MAX_RECOVERY_CODE_LENGTH = 64;

  private final LoginService logins;
  private final MfaLoginService mfaLogins;
  private final TrustedProxies proxies;
  private final LoginOutcomes outcomes;

  public LoginRoutes(LoginService logins, MfaLoginService mfaLogins, TrustedProxies proxies, LoginOutcomes outcomes) {
    this.logins = logins;
    this.mfaLogins = mfaLogins;
    this.proxies = proxies;
    this.outcomes = outcomes;
  }

  public void mount(Router router) {
    router.post("/auth/login").handler(Replies.handle(this::login));
    router.post("/auth/login/mfa").handler(Replies.handle(this::loginMfa));
  }

  private Future<Void> login(RoutingContext ctx) {
    return outcomes.count(logins.login(parse(ctx))).map(result -> Replies.json(ctx, 200, result.toJson()));
  }

  private Future<Void> loginMfa(RoutingContext ctx) {
    return outcomes.count(mfaLogins.finish(parseMfa(ctx))).map(pair -> Replies.json(ctx, 200, pair.toJson()));
  }

  /** Exactly one of {@code code} and {@code recoveryCode}, beside the token; each a non-empty string within its cap. */
  private MfaLoginService.Attempt parseMfa(RoutingContext ctx) {
    JsonObject body = JsonBodies.object(ctx);
    JsonBodies.onlyFields(body, Set.of("mfaToken", "code", "recoveryCode"));
    String token = JsonBodies.string(body, "mfaToken");
    String code = JsonBodies.string(body, "code");
    String recoveryCode = JsonBodies.string(body, "recoveryCode");
    List<ApiException.FieldError> errors = new ArrayList<>();
    if (token == null || token.isEmpty()) {
      errors.add(new ApiException.FieldError("mfaToken", "Required: the mfaToken of the login's first step."));
    } else if (token.length() > MfaChallenges.MAX_TOKEN_LENGTH) {
      errors.add(new ApiException.FieldError("mfaToken", "At most " + MfaChallenges.MAX_TOKEN_LENGTH + " characters."));
    }
    if (code != null && recoveryCode != null) {
      errors.add(new ApiException.FieldError("recoveryCode", "Give either code or recoveryCode, not both."));
    } else if (code == null && recoveryCode == null) {
      errors.add(new ApiException.FieldError("code", "Required: a code from the authenticator app, or a recoveryCode."));
    } else if (code != null) {
      capped(errors, "code", code, MAX_CODE_LENGTH);
    } else {
      capped(errors, "recoveryCode", recoveryCode, MAX_RECOVERY_CODE_LENGTH);
    }
    if (!errors.isEmpty()) {
      throw ApiException.validation(errors);
    }
    MfaCheck.Method method = code != null ? MfaCheck.Method.TOTP : MfaCheck.Method.RECOVERY_CODE;
    return new MfaLoginService.Attempt(token, method, code != null ? code : recoveryCode, proxies.clientIp(ctx), userAgent(ctx),
      RequestIds.of(ctx));
  }

  private static void capped(List<ApiException.FieldError> errors, String field, String value, int max) {
    if (value.isBlank()) {
      errors.add(new ApiException.FieldError(field, "Must not be empty."));
    } else if (value.length() > max) {
      errors.add(new ApiException.FieldError(field, "At most " + max + " characters."));
    }
  }

  private static String userAgent(RoutingContext ctx) {
    String userAgent = ctx.request().getHeader("User-Agent");
    return userAgent != null && userAgent.length() > MAX_USER_AGENT_LENGTH ? userAgent.substring(0, MAX_USER_AGENT_LENGTH) : userAgent;
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
    return new LoginService.Attempt(login, password, proxies.clientIp(ctx), userAgent(ctx), RequestIds.of(ctx));
  }
}
