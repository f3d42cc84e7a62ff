package io.latchkey.auth.login;

import io.latchkey.common.ApiException;
import io.latchkey.common.ErrorCodes;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;

/**
 * {@code latchkey_logins_total{outcome}}: every login attempt that reached {@link LoginService},
 * counted once by how it ended. The outcome is read from the answer (the problem code), so the
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

  public LoginOutcomes(MeterRegistry metrics) {
    success = counter(metrics, "success");
    invalidCredentials = counter(metrics, "invalid_credentials");
    locked = counter(metrics, "locked");
    disabled = counter(metrics, "disabled");
    unverified = counter(metrics, "unverified");
    unavailable = counter(metrics, "unavailable");
    overloaded = counter(metrics, "overloaded");
    error = counter(metrics, "error");
  }

  private static Counter counter(MeterRegistry metrics, String outcome) {
    return Counter.builder(NAME).tag("outcome", outcome)
      .description("login attempts by outcome (locked: 429 too_many_attempts; unavailable: the user service or the database"
        + " could not answer; overloaded: the bcrypt queue was full)")
      .register(metrics);
  }

  /** Counts {@code login} once it completes; returns it unchanged. */
  public <T> Future<T> count(Future<T> login) {
    return login.onComplete(ar -> (ar.succeeded() ? success : outcomeOf(ar.cause())).increment());
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
      default -> error;
    };
  }
}
