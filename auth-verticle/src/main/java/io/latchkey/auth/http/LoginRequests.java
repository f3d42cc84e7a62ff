package io.latchkey.auth.http;

import io.latchkey.auth.login.LoginService;
import io.latchkey.auth.login.MfaLoginService;
import io.latchkey.auth.login.PasskeyLoginService;
import io.latchkey.auth.session.MfaChallenges;
import io.latchkey.common.ApiException;
import io.latchkey.common.JsonBodies;
import io.latchkey.common.RequestIds;
import io.latchkey.common.TextRules;
import io.latchkey.common.TrustedProxies;
import io.latchkey.common.Uuids;
import io.latchkey.common.bus.MfaCheck;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * The bodies of the three ways to log in, read and checked once for both places that take them:
 * the API ({@link LoginRoutes}) and the account page's session ({@link AccountSessionRoutes}).
 *
 * <p>A login or password with a control character or a lone surrogate is refused here with 400
 * {@code validation_failed} (read through {@link JsonBodies#string}, see
 * {@link io.latchkey.common.TextRules}) rather than treated as an unknown login: no user can have
 * such a login or password, so the answer reveals nothing about accounts, and it costs neither a
 * bcrypt verification nor a question to the user service (it is not counted either; there is
 * nothing to guess).
 */
final class LoginRequests {

  /** Longer than any username (32) or email (254) can be. */
  static final int MAX_LOGIN_LENGTH = 320;
  private static final int MAX_USER_AGENT_LENGTH = 512;
  /** A TOTP code is 6 digits; some room for spaces an app shows, no room for anything else. */
  static final int MAX_CODE_LENGTH = 16;
  /** Longer than any recovery code the user service issues. */
  static final int MAX_RECOVERY_CODE_LENGTH = 64;
  /** A passkey assertion is a few hundred bytes; room for large extension results, no room for anything else. */
  static final int MAX_CREDENTIAL_LENGTH = 16 * 1024;
  /** The assertion's JSON form nests three levels (credential, response, extension results and their values). */
  private static final int MAX_CREDENTIAL_DEPTH = 6;

  private final TrustedProxies proxies;

  LoginRequests(TrustedProxies proxies) {
    this.proxies = proxies;
  }

  /**
   * {@code challengeId} a UUID string, {@code credential} an object within
   * {@link #MAX_CREDENTIAL_LENGTH} whose strings are clean text (no control characters or lone
   * surrogates: no assertion field can hold them) nested at most {@link #MAX_CREDENTIAL_DEPTH}
   * deep. What the assertion says is the user service's to judge (401 when it is wrong).
   */
  PasskeyLoginService.Attempt passkey(RoutingContext ctx) {
    JsonObject body = JsonBodies.object(ctx);
    JsonBodies.onlyFields(body, Set.of("challengeId", "credential"));
    String challengeId = JsonBodies.string(body, "challengeId");
    Object credential = body.getValue("credential");
    if (credential != null && !(credential instanceof JsonObject)) {
      throw ApiException.malformed("The field 'credential' must be an object (as PublicKeyCredential.toJSON() gives it).");
    }
    List<ApiException.FieldError> errors = new ArrayList<>();
    if (challengeId == null || challengeId.isEmpty()) {
      errors.add(new ApiException.FieldError("challengeId", "Required: the challengeId of POST /auth/passkey/options."));
    } else if (!Uuids.isUuid(challengeId)) {
      errors.add(new ApiException.FieldError("challengeId", "Must be a UUID."));
    }
    if (credential == null) {
      errors.add(new ApiException.FieldError("credential", "Required: the assertion, as PublicKeyCredential.toJSON() gives it."));
    } else if (((JsonObject) credential).encode().length() > MAX_CREDENTIAL_LENGTH) {
      errors.add(new ApiException.FieldError("credential", "At most " + MAX_CREDENTIAL_LENGTH + " characters of JSON."));
    } else if (!cleanJson(credential, 0)) {
      errors.add(new ApiException.FieldError("credential", "Nested at most " + MAX_CREDENTIAL_DEPTH
        + " levels, with no control characters or ill-formed Unicode (lone surrogates) in any name or string."));
    }
    if (!errors.isEmpty()) {
      throw ApiException.validation(errors);
    }
    return new PasskeyLoginService.Attempt(UUID.fromString(challengeId), (JsonObject) credential, proxies.clientIp(ctx),
      userAgent(ctx), RequestIds.of(ctx));
  }

  /** Every key and string within the depth bound and clean ({@link TextRules#isClean}). */
  private static boolean cleanJson(Object value, int depth) {
    if (value instanceof JsonObject object) {
      return depth < MAX_CREDENTIAL_DEPTH && object.stream()
        .allMatch(e -> TextRules.isClean(e.getKey()) && cleanJson(e.getValue(), depth + 1));
    }
    if (value instanceof JsonArray array) {
      return depth < MAX_CREDENTIAL_DEPTH && array.stream().allMatch(v -> cleanJson(v, depth + 1));
    }
    return !(value instanceof String text) || TextRules.isClean(text);
  }

  /** Exactly one of {@code code} and {@code recoveryCode}, beside the token; each a non-empty string within its cap. */
  MfaLoginService.Attempt mfa(RoutingContext ctx) {
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

  LoginService.Attempt password(RoutingContext ctx) {
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
