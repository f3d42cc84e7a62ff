package io.latchkey.auth.login;

import io.latchkey.common.ApiException;
import io.latchkey.common.ErrorCodes;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;

/**
 * {@code latchkey_logins_total{outcome}}: every login step that reached {@link LoginService} or
 * {@link MfaLoginService}, counted once by how it ended (a login with a second factor counts its
 * first step as {@code mfa_required} and its second by how that ended). The outcome is read from the answer (the problem code), so the
 * rules of a login stay in one place and this class only names them; the label takes a fixed
 * set of values (a code outside it counts as {@code error}).
 */
public final class LoginOutcomes {

  private static final String NAME = "latchkey.logins";

  private final Counter success;
  private final Counter invalidCredentials;
  private final Counter locked;
  private final Counter disabled;
  private final Counter unverified;
  private final Counter unavailable;
  private final Counter overloaded;
  private final Counter error;
  private final Counter mfaRequired;
  private final Counter mfaFailed;
  private final Counter mfaTokenInvalid;

  public LoginOutcomes(MeterRegistry metrics) {
    success = counter(metrics, "success");
    invalidCredentials = counter(metrics, "invalid_credentials");
    locked = counter(metrics, "locked");
    disabled = counter(metrics, "disabled");
    unverified = counter(metrics, "unverified");
    unavailable = counter(metrics, "unavailable");
    overloaded = counter(metrics, "overloaded");
    error = counter(metrics, "error");
    mfaRequired = counter(metrics, "mfa_required");
    mfaFailed = counter(metrics, "mfa_failed");
    mfaTokenInvalid = counter(metrics, "mfa_token_invalid");
  }

  private static Counter counter(MeterRegistry metrics, String outcome) {
    return Counter.builder(NAME).tag("outcome", outcome)
      .description("login steps by outcome (success: tokens issued, by either step; mfa_required: the right password of a"
        + " user with a second factor, answered with a challenge; mfa_failed: a wrong code at the second step; mfa_token_invalid:"
        + " an unknown, expired, used or stale challenge; locked: 429 too_many_attempts; unavailable: the user service or the"
        + " database could not answer; overloaded: the bcrypt queue was full)")
      .register(metrics);
  }

  /** Counts a login step once it completes (a challenge as mfa_required); returns it unchanged. */
  public <T> Future<T> count(Future<T> login) {
    return login.onComplete(ar -> (ar.succeeded()
      ? ar.result() instanceof LoginResult.Challenge ? mfaRequired : success
      : outcomeOf(ar.cause())).increment());
  }

  private Counter outcomeOf(Throwable failure) {
    if (!(failure instanceof ApiException api) || api.code() == null) {
      return error;
    }
    return switch (api.code()) {
      case ErrorCodes.INVALID_CREDENTIALS -> invalidCredentials;
      case ErrorCodes.TOO_MANY_ATTEMPTS -> locked;
      case ErrorCodes.ACCOUNT_DISABLED -> disabled;
      case ErrorCodes.EMAIL_NOT_VERIFIED -> unverified;
      case ErrorCodes.USER_SERVICE_UNAVAILABLE, ErrorCodes.DATABASE_UNAVAILABLE -> unavailable;
      case ErrorCodes.OVERLOADED -> overloaded;
      case ErrorCodes.INVALID_MFA_CODE -> mfaFailed;
      case ErrorCodes.INVALID_MFA_TOKEN -> mfaTokenInvalid;
      default -> error;
    };
  }
}
